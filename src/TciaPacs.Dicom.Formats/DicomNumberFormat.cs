using System.Globalization;
using TciaPacs.Dicom;

namespace TciaPacs.Dicom.Formats;

/// <summary>Text forms of numbers for the DS and IS VRs (PS3.5 6.2) and the JSON number check DICOM JSON needs (PS3.18 F.2.3).</summary>
public static class DicomNumberFormat
{
    /// <summary>DS values are at most 16 bytes (PS3.5 Table 6.2-1).</summary>
    public const int MaxDSLength = 16;

    /// <summary>A double as a Decimal String of at most 16 characters (<see cref="DecimalString.Format"/>).</summary>
    public static string FormatDS(double value) => DecimalString.Format(value);

    /// <summary>An Integer String: a signed integer in the range -2^31 to 2^31-1 (PS3.5 Table 6.2-1).</summary>
    public static string FormatIS(long value)
    {
        if (value is < int.MinValue or > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(value), value, "An Integer String holds -2^31 to 2^31-1 (PS3.5 6.2).");
        return value.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Whether text is a number by the JSON grammar (RFC 8259 section 6): <c>-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?</c>.
    /// DS and IS allow forms JSON does not (leading '+', leading zeros, "1." and ".5"), which must then be written as strings.
    /// </summary>
    public static bool IsJsonNumber(ReadOnlySpan<char> s)
    {
        var i = 0;
        if (i < s.Length && s[i] == '-') i++;
        if (i >= s.Length) return false;
        if (s[i] == '0') i++;
        else if (s[i] is >= '1' and <= '9') while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
        else return false;
        if (i < s.Length && s[i] == '.')
        {
            i++;
            var start = i;
            while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
            if (i == start) return false;
        }
        if (i < s.Length && s[i] is 'e' or 'E')
        {
            i++;
            if (i < s.Length && s[i] is '+' or '-') i++;
            var start = i;
            while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
            if (i == start) return false;
        }
        return i == s.Length;
    }
}
