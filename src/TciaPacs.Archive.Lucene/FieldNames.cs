using TciaPacs.Archive.Query;

namespace TciaPacs.Archive.Lucene;

/// <summary>
/// The field layout of an instance document. Each indexed attribute has a base name (<c>t</c> + tag, or <c>p</c> +
/// group, element offset and private creator; a flattened sequence item attribute <c>base/tag</c>) and sub-fields by
/// the kind of its VR (see <see cref="ValueKind"/>).
/// </summary>
internal static class FieldNames
{
    public const string Collection = "_col";
    public const string Patient = "_pat";
    public const string Study = "_study";
    public const string Series = "_series";
    public const string Sop = "_sop";

    /// <summary>Term = base of each attribute that is absent or has only empty values (PS3.4 C.2.2.2.1 Empty Value Matching).</summary>
    public const string Empty = "_empty";

    /// <summary>Term = base of each attribute with at least one value (or a sequence with at least one item).</summary>
    public const string Has = "_has";

    /// <summary>Term = base of each attribute with a value too long for a Lucene term: every value query on it matches.</summary>
    public const string TooLong = "_long";

    public const string Exact = ".s";      // the value as read (numbers trimmed)
    public const string Upper = ".u";      // PN: the whole value upper-cased (wildcards, case-insensitive)
    public const string Alphabetic = ".pa"; // PN: each component group, trailing '^' and spaces removed, upper-cased
    public const string Ideographic = ".pi";
    public const string Phonetic = ".pp";
    public const string Words = ".w";      // PN: folded words (fuzzy matching)
    public const string Number = ".n";     // numbers as doubles
    public const string Low = ".lo";       // DA/TM/DT: start of the span the value covers, UTC ticks
    public const string High = ".hi";      // end of that span

    public static string Base(Dicom.DicomTag tag) => "t" + tag.ToHex();

    public static string PrivateBase(ushort group, byte offset, string creator) => $"p{group:X4}{offset:X2}@{creator}";

    public static string Item(string sequenceBase, Dicom.DicomTag itemTag) => sequenceBase + "/" + itemTag.ToHex();

    public static string OfLevel(QueryLevel level) => level switch
    {
        QueryLevel.Patient => Patient,
        QueryLevel.Study => Study,
        QueryLevel.Series => Series,
        _ => Sop,
    };
}
