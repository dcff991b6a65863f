using TciaPacs.Archive.Query;
using TciaPacs.Dicom;

namespace TciaPacs.Archive.Catalog;

/// <summary>
/// Splits an instance's header into the attributes of each query level (PS3.4 C.6.1.1 / C.6.2.1 and the PS3.18
/// 10.6.1.2 QIDO-RS keys), the documents the catalog stores per row so that C-FIND and QIDO-RS never open files.
/// Patient: the Patient module (group 0010 but the Patient Study module) and the Clinical Trial Subject module.
/// Study: the General Study and Patient Study modules, Clinical Trial Study, and Timezone Offset From UTC (SOP Common,
/// but the timezone of the study's dates and times, and a QIDO-RS study attribute). Series: General Series, General Equipment,
/// Clinical Trial Series. Instance: every other top-level element whose value is small (bulk data stays in the file).
/// Each document carries the source (0008,0005) so its text decodes as it was received.
/// </summary>
public static class LevelAttributes
{
    /// <summary>Values longer than this are not kept in the instance document (bulk data, LUTs, private blobs).</summary>
    public const int MaxValueLength = 256;

    /// <summary>Sequences larger than this (summed value lengths) are not kept.</summary>
    public const int MaxSequenceLength = 4096;

    // Patient Study module (PS3.3 C.7.2.2) lives in group 0010 but belongs to the study.
    private static readonly HashSet<uint> PatientStudyTags = [0x00101010, 0x00101020, 0x00101021, 0x00101022, 0x00101023, 0x00101024, 0x00101030, 0x00102000, 0x00102110, 0x00102180, 0x001021A0, 0x001021B0, 0x001021C0, 0x001021D0, 0x00104000];

    private static readonly HashSet<uint> StudyTags =
    [
        0x00080020, 0x00080030, 0x00080050, 0x00080051, 0x00080090, 0x00080096, 0x00080201, 0x00081030, 0x00081032, 0x00081048, 0x00081049,
        0x00081060, 0x00081062, 0x00081080, 0x00081084, 0x00081110, 0x0020000D, 0x00200010, 0x00321032, 0x00321033, 0x00321060,
        0x00321064, 0x00400275, 0x00120050, 0x00120051, 0x00120052, 0x00120053, 0x00120083,
    ];

    private static readonly HashSet<uint> SeriesTags =
    [
        0x00080021, 0x00080031, 0x00080060, 0x00080070, 0x00080080, 0x00080081, 0x00081010, 0x00081040, 0x0008103E,
        0x0008103F, 0x00081050, 0x00081052, 0x00081070, 0x00081072, 0x00081090, 0x00081111, 0x00180015, 0x00181000, 0x00181020,
        0x00181030, 0x00185100, 0x0020000E, 0x00200011, 0x00200052, 0x00200060, 0x00400244, 0x00400245, 0x00400253, 0x00400254,
        0x00400260, 0x00120060, 0x00120071, 0x00120072,
    ];

    public static QueryLevel LevelOf(DicomTag tag)
    {
        var v = tag.Value;
        if (StudyTags.Contains(v) || PatientStudyTags.Contains(v)) return QueryLevel.Study;
        if (SeriesTags.Contains(v)) return QueryLevel.Series;
        if (tag.Group == 0x0010) return QueryLevel.Patient;
        if (tag.Group == 0x0012 && (tag.Element is >= 0x0010 and <= 0x0042 || tag.Element is >= 0x0062 and <= 0x0064 || tag.Element == 0x0081 || tag.Element == 0x0082))
            return QueryLevel.Patient;
        return QueryLevel.Image;
    }

    /// <summary>The four level documents of one instance header.</summary>
    public static (DicomDataset Patient, DicomDataset Study, DicomDataset Series, DicomDataset Instance) Split(DicomDataset header)
    {
        var docs = new[] { new DicomDataset(), new DicomDataset(), new DicomDataset(), new DicomDataset() };
        var charset = header.Get(DicomTags.SpecificCharacterSet);
        if (charset != null)
            foreach (var d in docs) d.Add(charset);
        foreach (var e in header)
        {
            if (e.Tag.Group <= 0x0002 || e.Tag == DicomTags.SpecificCharacterSet || e.Tag.IsGroupLength || e is DicomFragmentSequence) continue;
            if (e.Tag.Group >= 0x7FE0 || (e.Tag.Group >= 0x6000 && e.Tag.Group <= 0x60FF && e.Tag.Element == 0x3000)) continue;
            var level = LevelOf(e.Tag);
            if (level == QueryLevel.Image && !IsSmall(e)) continue;
            docs[(int)level].Add(e is DicomSequence sq ? new DicomSequence(sq.Tag, sq.Items.Select(i => i.Clone())) : e);
        }
        return (docs[0], docs[1], docs[2], docs[3]);
    }

    private static bool IsSmall(DicomElement e) => e is DicomSequence sq ? SequenceLength(sq) <= MaxSequenceLength : e.Length <= MaxValueLength && !e.IsBulkData;

    private static long SequenceLength(DicomSequence sq)
    {
        long n = 0;
        foreach (var item in sq.Items)
            foreach (var e in item)
            {
                n += 8 + (e is DicomSequence inner ? SequenceLength(inner) : e.Length);
                if (e.IsBulkData || n > MaxSequenceLength) return long.MaxValue;
            }
        return n;
    }

    /// <summary>
    /// One data set with the elements of every document, for matching and responses. Documents are either in the
    /// default repertoire or in ISO_IR 192 (how the catalog stores them), so bytes copy as they are and the merge is
    /// ISO_IR 192 when any document is.
    /// </summary>
    public static DicomDataset Merge(params DicomDataset?[] documents)
    {
        var merged = new DicomDataset();
        DicomElement? charset = null;
        foreach (var doc in documents)
        {
            if (doc == null) continue;
            foreach (var e in doc)
            {
                if (e.Tag == DicomTags.SpecificCharacterSet) { if (!doc.CharacterSet.IsDefault) charset ??= e; continue; }
                merged.Add(e is DicomSequence sq ? new DicomSequence(sq.Tag, sq.Items.Select(i => i.Clone())) : e);
            }
        }
        if (charset != null) merged.Add(charset);
        return merged;
    }
}
