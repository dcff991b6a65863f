using System.Globalization;
using TciaPacs.Archive.Catalog;
using TciaPacs.Dicom;

namespace TciaPacs.Archive.Query;

/// <summary>
/// The attributes of a catalog entity as one data set (levels merged, computed attributes added: the counts, Modalities
/// and SOP Classes in Study, Instance Availability ONLINE, an instance's Transfer Syntax UID), and the response
/// of a query: the requested keys (zero length when absent, PS3.4 C.4.1.1.3.2) plus the level's unique keys and those
/// above it (PS3.4 C.4.1.2.1), with (0008,0005) ISO_IR 192 when any text is not ASCII (the catalog keeps text as UTF-8).
/// </summary>
public static class ResponseBuilder
{
    public static DicomDataset EntityAttributes(CatalogEntity entity)
    {
        var ds = LevelAttributes.Merge(entity.Patient, entity.Study, entity.Series, entity.Instance);
        var c = entity.Counts;
        switch (entity.Level)
        {
            case QueryLevel.Patient:
                SetCount(ds, DicomTags.NumberOfPatientRelatedStudies, c.RelatedStudies);
                SetCount(ds, DicomTags.NumberOfPatientRelatedSeries, c.RelatedSeries);
                SetCount(ds, DicomTags.NumberOfPatientRelatedInstances, c.RelatedInstances);
                break;
            case QueryLevel.Study:
                SetCount(ds, DicomTags.NumberOfStudyRelatedSeries, c.RelatedSeries);
                SetCount(ds, DicomTags.NumberOfStudyRelatedInstances, c.RelatedInstances);
                break;
            case QueryLevel.Series:
                SetCount(ds, DicomTags.NumberOfSeriesRelatedInstances, c.RelatedInstances);
                break;
        }
        // Everything the catalog lists is on the archive's disk, ready to retrieve (PS3.4 C.4.1.1.3.2, C.6.1.1.5.1).
        ds.AddOrUpdate(DicomTags.InstanceAvailability, VR.CS, "ONLINE");
        // The file's Transfer Syntax UID, from the catalog's column, for an instance (the query index has it too).
        if (entity.Level == QueryLevel.Image && !string.IsNullOrEmpty(entity.TransferSyntaxUid))
            ds.AddOrUpdate(DicomTags.TransferSyntaxUID, VR.UI, entity.TransferSyntaxUid);
        if (entity.Level == QueryLevel.Study)
        {
            if (c.ModalitiesInStudy is { Count: > 0 } m) ds.AddOrUpdate(DicomTags.ModalitiesInStudy, VR.CS, [.. m.Order(StringComparer.Ordinal)]);
            if (c.SopClassesInStudy is { Count: > 0 } s) ds.AddOrUpdate(DicomTags.SOPClassesInStudy, VR.UI, [.. s.Order(StringComparer.Ordinal)]);
        }
        return ds;
    }

    private static void SetCount(DicomDataset ds, DicomTag tag, int? value)
    {
        if (value is { } v) ds.AddOrUpdate(tag, VR.IS, v.ToString(CultureInfo.InvariantCulture));
    }

    public static DicomDataset Build(DicomDataset entity, DicomQuery query)
    {
        var response = new DicomDataset();
        foreach (var key in query.Keys)
        {
            if (entity.Get(key.Tag) is { } e) response.Add(e is DicomSequence sq ? new DicomSequence(sq.Tag, sq.Items.Select(i => i.Clone())) : e);
            else if (key.VR == VR.SQ) response.Add(new DicomSequence(key.Tag));
            else response.AddOrUpdate(key.Tag, key.VR == VR.NONE ? response.ResolveVR(key.Tag) : key.VR, Array.Empty<byte>());
        }
        foreach (var tag in UniqueKeys(query.Level))
            if (!response.Contains(tag) && entity.Get(tag) is { } e) response.Add(e);
        if (HasNonAscii(response)) response.AddOrUpdate(DicomTags.SpecificCharacterSet, VR.CS, "ISO_IR 192");
        return response;
    }

    /// <summary>The unique keys of a level and the levels above (PS3.4 C.6.1.1 / C.6.2.1).</summary>
    public static IReadOnlyList<DicomTag> UniqueKeys(QueryLevel level) => level switch
    {
        QueryLevel.Patient => [DicomTags.PatientID],
        QueryLevel.Study => [DicomTags.StudyInstanceUID],
        QueryLevel.Series => [DicomTags.StudyInstanceUID, DicomTags.SeriesInstanceUID],
        _ => [DicomTags.StudyInstanceUID, DicomTags.SeriesInstanceUID, DicomTags.SOPInstanceUID],
    };

    private static bool HasNonAscii(DicomDataset ds)
    {
        foreach (var e in ds)
        {
            if (e is DicomSequence sq) { if (sq.Items.Any(HasNonAscii)) return true; continue; }
            if (!e.VR.UsesCharacterSet) continue;
            foreach (var b in e.Buffer.GetBytes().Span) if (b > 0x7F) return true;
        }
        return false;
    }
}
