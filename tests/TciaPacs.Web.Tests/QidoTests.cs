using System.Net;
using NUnit.Framework;
using TciaPacs.Dicom;
using TciaPacs.Dicom.Formats.Json;
using TciaPacs.Dicom.Formats.Xml;

namespace TciaPacs.Web.Tests;

/// <summary>QIDO-RS over HTTP on the six resources, with the query engine's matching rules and the error cases.</summary>
public sealed class QidoTests : WebServerFixture
{
    private const string StudyA = "1.2.826.0.1.3680043.10.543.1";
    private const string StudyB = "1.2.826.0.1.3680043.10.543.2";
    private const string SeriesA1 = StudyA + ".1";
    private const string SeriesA2 = StudyA + ".2";
    private const string SeriesB1 = StudyB + ".1";

    [OneTimeSetUp]
    public async Task Store()
    {
        byte[] Make(string study, string series, string sop, string name, string date, string modality, string accession, string? sps = null) =>
            MakeInstance(study, series, sop, ds =>
            {
                ds.AddOrUpdate(DicomTags.PatientName, VR.PN, name);
                ds.AddOrUpdate(DicomTags.PatientID, VR.LO, name.Split('^')[0].ToUpperInvariant());
                ds.AddOrUpdate(DicomTags.StudyDate, VR.DA, date);
                ds.AddOrUpdate(DicomTags.Modality, VR.CS, modality);
                ds.AddOrUpdate(DicomTags.AccessionNumber, VR.SH, accession);
                ds.AddOrUpdate(DicomTags.StudyDescription, VR.LO, "Study of " + name);
                if (sps != null)
                {
                    var item = new DicomDataset();
                    item.AddOrUpdate(DicomTags.ScheduledProcedureStepID, VR.SH, sps);
                    ds.AddOrUpdate(DicomTags.RequestAttributesSequence, item);
                }
            }, pixels: false);
        var (r1, _) = await StowAsync([
            Make(StudyA, SeriesA1, SeriesA1 + ".1", "Müller^Hans", "20200115", "CT", "ACC1", "SPS-7"),
            Make(StudyA, SeriesA1, SeriesA1 + ".2", "Müller^Hans", "20200115", "CT", "ACC1", "SPS-7"),
            Make(StudyA, SeriesA2, SeriesA2 + ".1", "Müller^Hans", "20200115", "SR", "ACC1"),
            Make(StudyB, SeriesB1, SeriesB1 + ".1", "Smith^Anna", "20210601", "MR", "ACC2", "SPS-9"),
        ]);
        Assert.That(r1.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        // 60 more studies for paging (the fixture's limit is 50 per request).
        var many = Enumerable.Range(0, 60).Select(i => Make($"1.2.826.0.1.3680043.10.544.{i}", $"1.2.826.0.1.3680043.10.544.{i}.1", $"1.2.826.0.1.3680043.10.544.{i}.1.1",
            "Paging^Patient", "19990101", "OT", $"PG{i}"));
        var (r2, _) = await StowAsync(many);
        Assert.That(r2.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    private async Task<IReadOnlyList<DicomDataset>> Query(string pathAndQuery, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await Http.SendAsync(Get(Base + pathAndQuery));
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(expected), text);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/dicom+json"));
        return DicomJson.DeserializeArray(text);
    }

    private static string[] Uids(IEnumerable<DicomDataset> results, DicomTag tag) => [.. results.Select(r => r.GetString(tag)!).Order(StringComparer.Ordinal)];

    [Test]
    public async Task Matches_by_keyword_and_by_tag_with_the_default_study_attributes()
    {
        var byKeyword = await Query("/studies?PatientID=MÜLLER");
        var byTag = await Query("/studies?00100020=M%C3%9CLLER");
        Assert.That(Uids(byKeyword, DicomTags.StudyInstanceUID), Is.EqualTo(new[] { StudyA }));
        Assert.That(Uids(byTag, DicomTags.StudyInstanceUID), Is.EqualTo(new[] { StudyA }));
        var study = byKeyword[0];
        Assert.That(study.GetString(DicomTags.AccessionNumber), Is.EqualTo("ACC1"));
        Assert.That(study.GetString(DicomTags.NumberOfStudyRelatedSeries), Is.EqualTo("2"));
        Assert.That(study.GetString(DicomTags.NumberOfStudyRelatedInstances), Is.EqualTo("3"));
        Assert.That(study.GetStrings(DicomTags.ModalitiesInStudy), Is.EquivalentTo(new[] { "CT", "SR" }));
        Assert.That(study.GetString(DicomTags.RetrieveURL), Is.EqualTo($"{Base}/studies/{StudyA}"));
        Assert.That(study.GetString(DicomTags.PatientName), Is.EqualTo("Müller^Hans"));
        Assert.That(study.GetString(DicomTags.InstanceAvailability), Is.EqualTo("ONLINE"), "a default study attribute, now given");
    }

    [Test]
    public async Task Wildcards_ranges_uid_lists_and_modalities()
    {
        Assert.That(Uids(await Query("/studies?PatientName=sm*"), DicomTags.StudyInstanceUID), Is.EqualTo(new[] { StudyB }), "PN wildcard, case-insensitive");
        Assert.That(Uids(await Query("/studies?StudyDate=20200101-20201231"), DicomTags.StudyInstanceUID), Is.EqualTo(new[] { StudyA }));
        Assert.That(Uids(await Query("/studies?StudyDate=20210101-"), DicomTags.StudyInstanceUID), Is.EqualTo(new[] { StudyB }));
        Assert.That(Uids(await Query($"/studies?StudyInstanceUID={StudyA}\\{StudyB}"), DicomTags.StudyInstanceUID), Is.EqualTo(new[] { StudyA, StudyB }));
        Assert.That(Uids(await Query($"/studies?StudyInstanceUID={StudyA},{StudyB}".Replace(",", "%5C", StringComparison.Ordinal)), DicomTags.StudyInstanceUID), Is.EqualTo(new[] { StudyA, StudyB }));
        Assert.That(Uids(await Query("/studies?ModalitiesInStudy=MR"), DicomTags.StudyInstanceUID), Is.EqualTo(new[] { StudyB }));
        Assert.That(await Query("/studies?AccessionNumber=NOPE"), Is.Empty);
    }

    [Test]
    public async Task A_timezone_is_where_dates_are_read_not_a_value_to_match()
    {
        // Neither study has a timezone of its own: both are read in the query's, so nothing moves and nothing is left out.
        Assert.That(Uids(await Query("/studies?TimezoneOffsetFromUTC=%2B0900&StudyDate=20200115"), DicomTags.StudyInstanceUID), Is.EqualTo(new[] { StudyA }));
        Assert.That(Uids(await Query("/studies?TimezoneOffsetFromUTC=-0500&PatientName=Smith*"), DicomTags.StudyInstanceUID), Is.EqualTo(new[] { StudyB }));
    }

    [Test]
    public async Task Fuzzy_matching_finds_names_by_word_prefixes()
    {
        Assert.That(await Query("/studies?PatientName=hans"), Is.Empty, "literal matching needs the whole name");
        Assert.That(Uids(await Query("/studies?PatientName=hans&fuzzymatching=true"), DicomTags.StudyInstanceUID), Is.EqualTo(new[] { StudyA }));
        Assert.That(Uids(await Query("/studies?PatientName=mull&fuzzymatching=true"), DicomTags.StudyInstanceUID), Is.EqualTo(new[] { StudyA }), "accents folded");
    }

    [Test]
    public async Task Series_and_instance_resources_under_a_study_and_series()
    {
        var series = await Query($"/studies/{StudyA}/series");
        Assert.That(Uids(series, DicomTags.SeriesInstanceUID), Is.EqualTo(new[] { SeriesA1, SeriesA2 }));
        Assert.That(series.Single(s => s.GetString(DicomTags.SeriesInstanceUID) == SeriesA1).GetString(DicomTags.NumberOfSeriesRelatedInstances), Is.EqualTo("2"));
        Assert.That(Uids(await Query("/series?Modality=SR"), DicomTags.SeriesInstanceUID), Is.EqualTo(new[] { SeriesA2 }));
        Assert.That(Uids(await Query($"/studies/{StudyA}/instances"), DicomTags.SOPInstanceUID), Is.EqualTo(new[] { SeriesA1 + ".1", SeriesA1 + ".2", SeriesA2 + ".1" }));
        var instances = await Query($"/studies/{StudyA}/series/{SeriesA1}/instances");
        Assert.That(Uids(instances, DicomTags.SOPInstanceUID), Is.EqualTo(new[] { SeriesA1 + ".1", SeriesA1 + ".2" }));
        Assert.That(instances[0].GetString(DicomTags.RetrieveURL), Does.StartWith($"{Base}/studies/{StudyA}/series/{SeriesA1}/instances/"));
        Assert.That(Uids(await Query($"/instances?SOPInstanceUID={SeriesB1}.1"), DicomTags.StudyInstanceUID), Is.EqualTo(new[] { StudyB }));
    }

    [Test]
    public async Task Sequence_keys_match_inside_items()
    {
        Assert.That(Uids(await Query("/series?RequestAttributesSequence.ScheduledProcedureStepID=SPS-9"), DicomTags.SeriesInstanceUID), Is.EqualTo(new[] { SeriesB1 }));
        Assert.That(Uids(await Query("/series?00400275.00400009=SPS-9"), DicomTags.SeriesInstanceUID), Is.EqualTo(new[] { SeriesB1 }));
        Assert.That(Uids(await Query("/series?RequestAttributesSequence.ScheduledProcedureStepID=SPS-7"), DicomTags.SeriesInstanceUID), Does.Contain(SeriesA1).And.Not.Contain(SeriesB1));
        Assert.That(await Query("/series?RequestAttributesSequence.ScheduledProcedureStepID=SPS-8"), Is.Empty);
    }

    [Test]
    public async Task Includefield_adds_attributes_and_all_adds_every_stored_one()
    {
        var plain = (await Query($"/studies/{StudyA}/series/{SeriesA1}/instances"))[0];
        Assert.That(plain.Contains(DicomTags.StudyDescription), Is.False);
        var with = (await Query($"/studies/{StudyA}/series/{SeriesA1}/instances?includefield=StudyDescription,00100010"))[0];
        Assert.That(with.GetString(DicomTags.StudyDescription), Is.EqualTo("Study of Müller^Hans"));
        var asked = (await Query($"/studies/{StudyA}/series/{SeriesA1}/instances?includefield=PatientComments"))[0];
        Assert.That(asked.Contains(DicomTags.PatientComments), Is.True, "an asked-for absent attribute comes back empty (PS3.4 C.4.1.1.3.2)");
        var all = (await Query($"/studies/{StudyA}/series/{SeriesA1}/instances?includefield=all"))[0];
        Assert.That(all.Contains(DicomTags.RequestAttributesSequence) && all.Contains(DicomTags.StudyDescription) && all.Contains(DicomTags.AccessionNumber), Is.True);
    }

    [Test]
    public async Task Limit_offset_and_the_warning_header_when_truncated()
    {
        using (var response = await Http.SendAsync(Get($"{Base}/studies?PatientName=Paging*")))
        {
            var results = DicomJson.DeserializeArray(await response.Content.ReadAsStringAsync());
            Assert.That(results, Has.Count.EqualTo(50), "the server's maximum");
            Assert.That(response.Headers.Warning.ToString(), Does.Contain("299"));
        }
        var firstPage = await Query("/studies?PatientName=Paging*&limit=25");
        var secondPage = await Query("/studies?PatientName=Paging*&limit=25&offset=25");
        var lastPage = await Query("/studies?PatientName=Paging*&limit=25&offset=50");
        Assert.That(firstPage.Count + secondPage.Count + lastPage.Count, Is.EqualTo(60));
        Assert.That(Uids(firstPage.Concat(secondPage).Concat(lastPage), DicomTags.StudyInstanceUID).Distinct().Count(), Is.EqualTo(60));
        using var complete = await Http.SendAsync(Get($"{Base}/studies?PatientName=Paging*&limit=25&offset=50"));
        Assert.That(complete.Headers.Contains("Warning"), Is.False, "no warning when nothing was cut");
    }

    [TestCase("/studies?NoSuchKeyword=1", "NoSuchKeyword")]
    [TestCase("/studies?limit=-1", "limit")]
    [TestCase("/studies?limit=ten", "limit")]
    [TestCase("/studies?offset=x", "offset")]
    [TestCase("/studies?fuzzymatching=maybe", "fuzzymatching")]
    [TestCase("/studies?StudyDate=2020-13-45", "0008,0020")]
    [TestCase("/studies?includefield=NotAnAttribute", "NotAnAttribute")]
    [TestCase("/studies?A.B.C=1", "sequence")]
    [TestCase("/studies?TimezoneOffsetFromUTC=UTC", "0008,0201")]
    [TestCase("/studies?TimezoneOffsetFromUTC=+0100", "%2B")] // '+' in a query string is a space
    public async Task Bad_parameters_are_400_with_a_reason(string pathAndQuery, string mentioned)
    {
        using var response = await Http.SendAsync(Get(Base + pathAndQuery));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var reason = await response.Content.ReadAsStringAsync();
        Assert.That(reason, Does.Contain(mentioned).IgnoreCase);
        Assert.That(response.Headers.Warning.ToString(), Does.StartWith("299"));
    }

    [Test]
    public async Task Xml_multipart_on_request_and_406_for_media_types_we_do_not_give()
    {
        using var xml = await Http.SendAsync(Get($"{Base}/studies?PatientID=SMITH", "multipart/related; type=\"application/dicom+xml\""));
        var parts = await ReadParts(xml);
        Assert.That(parts, Has.Count.EqualTo(1));
        var ds = DicomXml.Deserialize(new MemoryStream(parts[0].Body));
        Assert.That(ds.GetString(DicomTags.StudyInstanceUID), Is.EqualTo(StudyB));
        using var png = await Http.SendAsync(Get($"{Base}/studies", "image/png"));
        Assert.That(png.StatusCode, Is.EqualTo(HttpStatusCode.NotAcceptable));
    }

    [Test]
    public async Task A_collection_sees_only_its_own_studies()
    {
        var scoped = $"http://127.0.0.1:{Server.Port}/collections/trial-x/dicom-web";
        var content = StowContent([MakeInstance("1.2.826.0.1.3680043.10.545.1", "1.2.826.0.1.3680043.10.545.1.1", "1.2.826.0.1.3680043.10.545.1.1.1", pixels: false)]);
        using (var stow = await Http.PostAsync($"{scoped}/studies", content)) Assert.That(stow.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var inCollection = DicomJson.DeserializeArray(await Http.GetStringAsync($"{scoped}/studies"));
        Assert.That(Uids(inCollection, DicomTags.StudyInstanceUID), Is.EqualTo(new[] { "1.2.826.0.1.3680043.10.545.1" }));
        Assert.That(inCollection[0].GetString(DicomTags.RetrieveURL), Does.StartWith(scoped));
        var other = DicomJson.DeserializeArray(await Http.GetStringAsync($"http://127.0.0.1:{Server.Port}/collections/other/dicom-web/studies"));
        Assert.That(other, Is.Empty);
        using var hidden = await Http.SendAsync(Get($"http://127.0.0.1:{Server.Port}/collections/other/dicom-web/studies/{StudyA}/metadata"));
        Assert.That(hidden.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(Uids(await Query("/studies?StudyInstanceUID=1.2.826.0.1.3680043.10.545.1"), DicomTags.StudyInstanceUID), Has.Length.EqualTo(1), "/dicom-web sees every collection");
    }
}
