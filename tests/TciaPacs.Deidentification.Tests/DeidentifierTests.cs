using System.Text;
using NUnit.Framework;
using TciaPacs.Deidentification.Phi;
using TciaPacs.Deidentification.Profile;
using TciaPacs.Dicom;
using TciaPacs.Testing;

namespace TciaPacs.Deidentification.Tests;

public sealed class DeidentifierTests
{
    internal static readonly byte[] Secret = Encoding.ASCII.GetBytes("a test secret of 32 bytes.......");

    internal static Deidentifier Basic(ProfileOption options = ProfileOption.None, IPseudonymMap? map = null, string collection = "trial") =>
        new(new DeidentificationSettings { Collection = collection, Options = options, Secret = Secret }, map);

    internal static byte[] Bytes(DicomDataset ds)
    {
        var ms = new MemoryStream();
        var header = ds.Clone();
        header.RemoveAll(e => e.Tag >= DicomTags.PixelData);
        Dicom.IO.DicomWriter.WriteDataset(ms, header, TransferSyntax.ExplicitVRLittleEndian);
        return ms.ToArray();
    }

    [Test]
    public void The_basic_profile_leaves_none_of_the_planted_values()
    {
        var d = Basic();
        foreach (var input in new[] { PhiLaden.Image(1, 1, 0, new(Overlay: true)), PhiLaden.Report(1, 1) })
        {
            var output = d.Deidentify(input).Dataset;
            var bytes = Encoding.Latin1.GetString(Bytes(output));
            foreach (var planted in PhiLaden.PlantedValues(1))
                Assert.That(bytes, Does.Not.Contain(planted), $"'{planted}' survived");
            Assert.That(output.GetString(DicomTags.PatientID), Is.EqualTo("TRIAL-0001"));
            Assert.That(output.GetString(DicomTags.PatientName), Is.EqualTo("TRIAL-0001"));
            Assert.That(output.GetString(DicomTags.PatientIdentityRemoved), Is.EqualTo("YES"));
            Assert.That(output.GetString(DicomTags.LongitudinalTemporalInformationModified), Is.EqualTo("REMOVED"));
            Assert.That(output.GetString(DicomTags.StudyDate), Is.Empty);
            Assert.That(output.Contains(new DicomTag(0x6000, 0x3000)), Is.False, "overlay data is removed");
            Assert.That(output.GetString(DicomTags.SOPInstanceUID), Does.StartWith("2.25."));
            var codes = output.GetSequence(DicomTags.DeidentificationMethodCodeSequence)!.Items.Select(i => i.GetString(DicomTags.CodeValue)).ToList();
            Assert.That(codes, Is.EqualTo(new[] { "113100" }));
        }
    }

    [Test]
    public void Options_keep_what_they_name_and_add_their_codes()
    {
        var options = ProfileOption.RetainLongitudinalModifiedDates | ProfileOption.RetainPatientCharacteristics | ProfileOption.CleanDescriptors
            | ProfileOption.CleanStructuredContent | ProfileOption.RetainInstitutionIdentity;
        var d = Basic(options);
        var image = d.Deidentify(PhiLaden.Image(1, 1, 0)).Dataset;
        var offset = d.Patient(PhiLaden.Image(1, 1, 0)).DateOffsetDays;
        Assert.That(offset, Is.InRange(1, 365));
        Assert.That(image.GetDate(DicomTags.StudyDate), Is.EqualTo(new DateOnly(2020, 3, 12).AddDays(-offset)));
        Assert.That(image.GetString(DicomTags.PatientSex), Is.EqualTo("M"));
        Assert.That(image.GetString(DicomTags.PatientAge), Is.EqualTo("059Y"));
        Assert.That(image.GetString(DicomTags.InstitutionName), Is.EqualTo("Springfield General"));
        // Clean Descriptors keeps the description without the name in it.
        Assert.That(image.GetString(DicomTags.StudyDescription), Is.EqualTo("CT chest *"));
        Assert.That(image.GetString(DicomTags.ImageComments), Is.EqualTo("patient born *, seen by *"));
        Assert.That(image.GetString(DicomTags.LongitudinalTemporalInformationModified), Is.EqualTo("MODIFIED"));
        var codes = image.GetSequence(DicomTags.DeidentificationMethodCodeSequence)!.Items.Select(i => i.GetString(DicomTags.CodeValue)).ToList();
        Assert.That(codes, Is.EqualTo(new[] { "113100", "113112", "113108", "113107", "113105", "113104" }));
        var report = d.Deidentify(PhiLaden.Report(1, 1)).Dataset;
        var text = report.GetSequence(DicomTags.ContentSequence)!.Items[0].GetString(DicomTags.TextValue);
        Assert.That(text, Is.EqualTo("* * (*) has a nodule."));
    }

    [Test]
    public void Full_dates_keep_dates_and_UIDs_can_be_retained()
    {
        var output = Basic(ProfileOption.RetainLongitudinalFullDates | ProfileOption.RetainUids).Deidentify(PhiLaden.Image(1, 1, 0)).Dataset;
        Assert.That(output.GetString(DicomTags.StudyDate), Is.EqualTo("20200312"));
        Assert.That(output.GetString(DicomTags.SOPInstanceUID), Is.EqualTo($"{PhiLaden.StudyUidRoot}.1.1.1.0"));
        Assert.That(output.GetString(DicomTags.LongitudinalTemporalInformationModified), Is.EqualTo("UNMODIFIED"));
    }

    [Test]
    public void Safe_private_attributes_are_kept_only_when_listed()
    {
        var settings = new DeidentificationSettings { Secret = Secret, Options = ProfileOption.RetainSafePrivate, SafePrivateAttributes = ["0013,xx10@PHI TEST"] };
        var kept = new Deidentifier(settings).Deidentify(PhiLaden.Image(1, 1, 0)).Dataset;
        Assert.That(kept.GetString(new DicomTag(0x0013, 0x1010)), Is.EqualTo(PhiLaden.PatientId(1)));
        Assert.That(kept.GetString(new DicomTag(0x0013, 0x0010)), Is.EqualTo("PHI TEST"));
        var removed = new Deidentifier(settings with { SafePrivateAttributes = [] }).Deidentify(PhiLaden.Image(1, 1, 0)).Dataset;
        Assert.That(removed.Any(e => e.Tag.IsPrivate), Is.False, "neither the element nor its creator is left");
    }

    [Test]
    public void Overrides_come_before_the_profile()
    {
        var settings = new DeidentificationSettings
        {
            Secret = Secret,
            Overrides =
            [
                new("StudyDescription", OverrideAction.Keep),
                new("0008,0080", OverrideAction.Replace, "SITE 7"),
                new("AccessionNumber", OverrideAction.Hash),
                new("StudyDate", OverrideAction.ShiftDate),
                new("Manufacturer", OverrideAction.Remove),
                new("ImageType", OverrideAction.Empty),
            ],
        };
        var d = new Deidentifier(settings);
        var output = d.Deidentify(PhiLaden.Image(1, 1, 0)).Dataset;
        Assert.That(output.GetString(DicomTags.StudyDescription), Is.EqualTo($"CT chest {PhiLaden.FamilyName}"));
        Assert.That(output.GetString(DicomTags.InstitutionName), Is.EqualTo("SITE 7"));
        Assert.That(output.GetString(DicomTags.AccessionNumber), Has.Length.EqualTo(16).And.Not.EqualTo(PhiLaden.AccessionNumber));
        Assert.That(output.GetDate(DicomTags.StudyDate), Is.EqualTo(new DateOnly(2020, 3, 12).AddDays(-d.Patient(PhiLaden.Image(1, 1, 0)).DateOffsetDays)));
        Assert.That(output.Contains(DicomTags.Manufacturer), Is.False);
        Assert.That(output.GetString(DicomTags.ImageType), Is.Empty);
        Assert.Throws<FormatException>(() => new Deidentifier(settings with { Overrides = [new("NoSuchKeyword", OverrideAction.Keep)] }));
    }

    [Test]
    public void The_same_patient_gets_the_same_pseudonym_and_offset_and_others_get_the_next()
    {
        var map = new InMemoryPseudonymMap();
        var d = Basic(ProfileOption.RetainLongitudinalModifiedDates, map);
        var a1 = d.Deidentify(PhiLaden.Image(1, 1, 0)).Dataset;
        var b = d.Deidentify(PhiLaden.Image(2, 1, 0)).Dataset;
        var a2 = d.Deidentify(PhiLaden.Image(1, 2, 0)).Dataset;
        Assert.That(a1.GetString(DicomTags.PatientID), Is.EqualTo("TRIAL-0001"));
        Assert.That(b.GetString(DicomTags.PatientID), Is.EqualTo("TRIAL-0002"));
        Assert.That(a2.GetString(DicomTags.PatientID), Is.EqualTo("TRIAL-0001"));
        Assert.That(a2.GetString(DicomTags.StudyDate), Is.EqualTo(a1.GetString(DicomTags.StudyDate)));
        Assert.That(map.Uids, Is.Not.Empty);
        // The hash scheme needs no map to be consistent.
        var hashed = new Deidentifier(new DeidentificationSettings { Secret = Secret, PatientIdScheme = PatientIdScheme.Hash, Collection = "c" });
        var h = hashed.Deidentify(PhiLaden.Image(1, 1, 0)).Dataset.GetString(DicomTags.PatientID);
        Assert.That(h, Does.Match("^C-[0-9A-F]{12}$"));
        Assert.That(new Deidentifier(hashed.Settings).Deidentify(PhiLaden.Image(1, 1, 0)).Dataset.GetString(DicomTags.PatientID), Is.EqualTo(h));
    }

    [Test]
    public void References_in_the_report_resolve_to_the_deidentified_image()
    {
        var d = Basic();
        var image = d.Deidentify(PhiLaden.Image(1, 1, 0)).Dataset;
        var report = d.Deidentify(PhiLaden.Report(1, 1)).Dataset;
        var referenced = report.GetSequence(DicomTags.ContentSequence)!.Items[1].GetSequence(DicomTags.ReferencedSOPSequence)!.Items[0].GetString(DicomTags.ReferencedSOPInstanceUID);
        Assert.That(referenced, Is.EqualTo(image.GetString(DicomTags.SOPInstanceUID)));
        var evidence = report.GetSequence(DicomTags.CurrentRequestedProcedureEvidenceSequence)!.Items[0];
        Assert.That(evidence.GetString(DicomTags.StudyInstanceUID), Is.EqualTo(image.GetString(DicomTags.StudyInstanceUID)));
        Assert.That(evidence.GetSequence(DicomTags.ReferencedSeriesSequence)!.Items[0].GetString(DicomTags.SeriesInstanceUID), Is.EqualTo(image.GetString(DicomTags.SeriesInstanceUID)));
        Assert.That(report.GetString(DicomTags.StudyInstanceUID), Is.EqualTo(image.GetString(DicomTags.StudyInstanceUID)));
    }

    [Test]
    public void The_input_is_not_changed()
    {
        var input = PhiLaden.Image(1, 1, 0);
        var before = Bytes(input);
        Basic().Deidentify(input);
        Assert.That(Bytes(input), Is.EqualTo(before));
    }

    [Test]
    public void The_scanner_flags_what_a_profile_keeps_and_nothing_after_the_basic_profile()
    {
        var input = PhiLaden.Image(1, 1, 0);
        var original = OriginalIdentifiers.From(input);
        var raw = PhiScanner.Scan(input, original);
        Assert.That(raw.Select(f => f.Rule).Distinct(), Is.SupersetOf(new[] { "residual-identifier", "person-name", "name-in-text" }));
        Assert.That(raw.Any(f => f.Path == "(0013,1010)" && f.Rule == "residual-identifier"), "the private element");
        Assert.That(raw.Any(f => f.Path.StartsWith("(0040,0275)[0].(0008,1110)[0].(0008,1120)[0].", StringComparison.Ordinal)), "three levels deep");
        Assert.That(raw.All(f => !f.Description.Contains(PhiLaden.FamilyName, StringComparison.Ordinal)), "findings never quote the value");

        var d = Basic();
        var result = d.Deidentify(input);
        Assert.That(PhiScanner.Scan(result.Dataset, result.Original, result.Pseudonym), Is.Empty);
        // Kept by an override: flagged.
        var keeping = new Deidentifier(d.Settings with { Overrides = [new("StudyDescription", OverrideAction.Keep)] }).Deidentify(input);
        var findings = PhiScanner.Scan(keeping.Dataset, keeping.Original, keeping.Pseudonym);
        Assert.That(findings.Single().Path, Is.EqualTo("(0008,1030)"));
        Assert.That(findings.Single().Severity, Is.EqualTo(PhiSeverity.High));
        // Burned-in risk.
        var burned = d.Deidentify(PhiLaden.Image(1, 1, 0, new(BurnedIn: true))).Dataset;
        Assert.That(PhiScanner.Scan(burned).Select(f => f.Rule), Does.Contain("burned-in-annotation"));
    }

    [TestCase("call 555-123-4567 now", "phone")]
    [TestCase("SSN 123-45-6789", "ssn")]
    [TestCase("mail jane.doe@example.org", "email")]
    [TestCase("MRN: 12345678", "mrn")]
    [TestCase("seen 03/12/2020", "date-in-text")]
    [TestCase("per Dr. Hibbert", "name-in-text")]
    public void Patterns_in_free_text_are_found(string text, string rule)
    {
        var ds = new DicomDataset();
        ds.AddOrUpdate(DicomTags.ImageComments, text);
        Assert.That(PhiScanner.Scan(ds).Select(f => f.Rule), Does.Contain(rule));
        ds.AddOrUpdate(DicomTags.ImageComments, "axial soft tissue 5 mm");
        Assert.That(PhiScanner.Scan(ds), Is.Empty);
    }
}
