using System.Text.RegularExpressions;

namespace TciaPacs.Deidentification;

/// <summary>
/// The "C" (clean) action on free text (PS3.15 E.3.5 Clean Descriptors, E.3.4 Clean Structured Content): the original's
/// own identifiers and the patterns of identifiers (dates, phone and social security numbers, e-mail addresses,
/// honorific + name) are replaced by <c>*</c>. What is left is kept: the option exists to keep useful descriptions.
/// </summary>
public static partial class TextCleaner
{
    public const string Mask = "*";

    public static string Clean(string text, OriginalIdentifiers original)
    {
        if (text.Length == 0) return text;
        var s = text;
        foreach (var (value, _) in original.Literals())
            if (value.Length >= 3) s = Regex.Replace(s, Regex.Escape(value), Mask, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
        s = PhiPatterns.Email().Replace(s, Mask);
        s = PhiPatterns.Ssn().Replace(s, Mask);
        s = PhiPatterns.Phone().Replace(s, Mask);
        s = PhiPatterns.DateInText().Replace(s, Mask);
        s = PhiPatterns.HonorificName().Replace(s, Mask);
        s = PhiPatterns.StreetAddress().Replace(s, Mask);
        return s;
    }
}

/// <summary>Patterns of identifiers in free text, shared by the cleaner and the PHI scanner.</summary>
public static partial class PhiPatterns
{
    [GeneratedRegex(@"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")]
    public static partial Regex Email();

    [GeneratedRegex(@"\b\d{3}-\d{2}-\d{4}\b")]
    public static partial Regex Ssn();

    [GeneratedRegex(@"(\+\d{1,3}[ .-]?)?(\(\d{3}\)\s?|\b\d{3}[ .-])\d{3}[ .-]\d{4}\b")]
    public static partial Regex Phone();

    // 2021-03-04, 04/03/2021, 4.3.21, 12 March 2021, March 12, 2021; not bare 8-digit runs (too many false hits in IDs).
    [GeneratedRegex(@"\b(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{1,2}\s+(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d{2,4}|(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4})\b", RegexOptions.IgnoreCase)]
    public static partial Regex DateInText();

    [GeneratedRegex(@"\b(Dr|Mr|Mrs|Ms|Miss|Prof)\.?\s+[A-Z][a-z]+(\s+[A-Z][a-z]+)?")]
    public static partial Regex HonorificName();

    // "Lastname^Firstname" in a text that is not a PN value.
    [GeneratedRegex(@"\b[A-Za-z][A-Za-z'-]+\^[A-Za-z][A-Za-z'-]+")]
    public static partial Regex DicomPersonName();

    [GeneratedRegex(@"\b\d{1,5}\s+([A-Z][a-z]+\s+){1,3}(Street|St|Avenue|Ave|Road|Rd|Terrace|Lane|Ln|Drive|Boulevard|Blvd|Way|Place|Court|Ct)\b\.?")]
    public static partial Regex StreetAddress();

    [GeneratedRegex(@"\b(MRN|MR\s?#|Med(ical)?\.?\s?Rec(ord)?\.?\s?(No|Number|#)?)\s*[:#]?\s*[A-Z0-9-]{4,}", RegexOptions.IgnoreCase)]
    public static partial Regex MrnLabelled();

    [GeneratedRegex(@"(?<![\d.])\d{7,10}(?![\d.])")]
    public static partial Regex LongDigitRun();
}
