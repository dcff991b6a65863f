using TciaPacs.Archive.Catalog;
using TciaPacs.Archive.Query;
using TciaPacs.Dicom;
using TciaPacs.Dicom.IO;

namespace TciaPacs.Archive.Tests;

/// <summary>
/// The expected answer of a query, computed without the catalog: every stored file is parsed again, split into level
/// documents, grouped into entities (the instance with the smallest SOP Instance UID gives an entity its attributes, as in the catalog),
/// counted, and each entity is tested with <see cref="QueryMatcher"/>; results are sorted by key, then paged.
/// </summary>
internal sealed class BruteForceOracle
{
    private sealed record Parsed(string Collection, string PatientKey, string Study, string Series, string Sop, string SopClass, DicomDataset P, DicomDataset St, DicomDataset Se, DicomDataset I);

    private readonly List<Parsed> _instances = [];

    /// <summary>Adds a stored file, in the order the store acknowledged it.</summary>
    public void Add(string file, string collection)
    {
        var ds = DicomFile.Open(file, DicomReadOptions.HeaderOnly).Dataset;
        var (p, st, se, i) = LevelAttributes.Split(ds);
        _instances.Add(new Parsed(collection, PatientKey.Create(ds.GetString(DicomTags.PatientID) ?? "", ds.GetString(DicomTags.IssuerOfPatientID)),
            ds.GetString(DicomTags.StudyInstanceUID)!, ds.GetString(DicomTags.SeriesInstanceUID)!, ds.GetString(DicomTags.SOPInstanceUID)!, ds.GetString(DicomTags.SOPClassUID)!, p, st, se, i));
    }

    public int Count => _instances.Count;

    public List<string> Expected(DicomQuery query)
    {
        var visible = _instances.Where(x => query.Collections == null || query.Collections.Contains(x.Collection)).ToList();
        var firstOfPatient = _instances.GroupBy(x => x.PatientKey).ToDictionary(g => g.Key, g => g.MinBy(x => x.Sop, StringComparer.Ordinal)!);
        var firstOfStudy = _instances.GroupBy(x => x.Study).ToDictionary(g => g.Key, g => g.MinBy(x => x.Sop, StringComparer.Ordinal)!);
        var firstOfSeries = _instances.GroupBy(x => x.Series).ToDictionary(g => g.Key, g => g.MinBy(x => x.Sop, StringComparer.Ordinal)!);
        IEnumerable<(string Key, CatalogEntity Entity)> entities = query.Level switch
        {
            QueryLevel.Patient => visible.GroupBy(x => x.PatientKey).Select(g => (g.Key, new CatalogEntity(QueryLevel.Patient, g.Key, "", new EntityCounts
            {
                RelatedStudies = g.Select(x => x.Study).Distinct().Count(),
                RelatedSeries = g.Select(x => x.Series).Distinct().Count(),
                RelatedInstances = g.Count(),
            }) { Patient = firstOfPatient[g.Key].P })),
            QueryLevel.Study => visible.GroupBy(x => x.Study).Select(g => (g.Key, new CatalogEntity(QueryLevel.Study, g.Key, g.First().Collection, new EntityCounts
            {
                RelatedSeries = g.Select(x => x.Series).Distinct().Count(),
                RelatedInstances = g.Count(),
                ModalitiesInStudy = g.Select(x => firstOfSeries[x.Series].Se.GetString(DicomTags.Modality) ?? "").Where(m => m.Length > 0).Distinct().ToList(),
                SopClassesInStudy = g.Select(x => x.SopClass).Distinct().ToList(),
            }) { Patient = firstOfPatient[g.First().PatientKey].P, Study = firstOfStudy[g.Key].St })),
            QueryLevel.Series => visible.GroupBy(x => x.Series).Select(g => (g.Key, new CatalogEntity(QueryLevel.Series, g.Key, g.First().Collection, new EntityCounts { RelatedInstances = g.Count() })
            { Patient = firstOfPatient[g.First().PatientKey].P, Study = firstOfStudy[g.First().Study].St, Series = firstOfSeries[g.Key].Se })),
            _ => visible.Select(x => (x.Sop, new CatalogEntity(QueryLevel.Image, x.Sop, x.Collection, new EntityCounts())
            { Patient = firstOfPatient[x.PatientKey].P, Study = firstOfStudy[x.Study].St, Series = firstOfSeries[x.Series].Se, Instance = x.I })),
        };
        var matches = entities.Where(e => QueryMatcher.Matches(ResponseBuilder.EntityAttributes(e.Entity), query))
            .Select(e => e.Key).Order(StringComparer.Ordinal).Skip(query.Offset);
        return (query.Limit is { } l ? matches.Take(l) : matches).ToList();
    }
}
