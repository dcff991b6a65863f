using System.Globalization;

namespace TciaPacs.Dicom;

/// <summary>Doubles as Decimal Strings (DS, PS3.5 Table 6.2-1): at most 16 characters.</summary>
public static class DecimalString
{
    public const int MaxLength = 16;

    /// <summary>
    /// A double as a Decimal String of at most 16 characters: the shortest text that reads back as the same double when
    /// it fits, otherwise the most significant digits that fit (exponent written compactly, e.g. <c>1.5E-7</c>).
    /// </summary>
    public static string Format(double value)
    {
        if (!double.IsFinite(value)) throw new ArgumentOutOfRangeException(nameof(value), value, "A Decimal String cannot hold NaN or infinity (PS3.5 6.2).");
        if (value == 0) return "0"; // also -0, which DS has no use for
        var s = CompactExponent(value.ToString("R", CultureInfo.InvariantCulture));
        for (var precision = 16; s.Length > MaxLength && precision > 0; precision--)
            s = CompactExponent(value.ToString("G" + precision.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture));
        return s;
    }

    /// <summary>"E+05" → "E5", "E-05" → "E-5": saves DS characters for digits.</summary>
    private static string CompactExponent(string s)
    {
        var e = s.IndexOfAny(['E', 'e']);
        if (e < 0) return s;
        var mantissa = s[..e];
        var exponent = int.Parse(s.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        return mantissa + "E" + exponent.ToString(CultureInfo.InvariantCulture);
    }
}
