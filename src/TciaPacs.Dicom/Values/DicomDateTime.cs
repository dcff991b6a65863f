using System.Globalization;

namespace TciaPacs.Dicom.Values;

/// <summary>DA, TM and DT parsing (PS3.5 6.2), tolerant of the ACR-NEMA forms "YYYY.MM.DD" and "HH:MM:SS" as dcmtk is.</summary>
public static class DicomDateTime
{
    public static DateOnly? ParseDate(string s)
    {
        s = s.Trim().Replace(".", "", StringComparison.Ordinal);
        if (s.Length != 8 || !int.TryParse(s.AsSpan(0, 4), NumberStyles.None, CultureInfo.InvariantCulture, out var y)
            || !int.TryParse(s.AsSpan(4, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var m)
            || !int.TryParse(s.AsSpan(6, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var d)) return null;
        try { return new DateOnly(y, m, d); } catch (ArgumentOutOfRangeException) { return null; }
    }

    /// <summary>HH[MM[SS[.F{1,6}]]]; a leap second 60 is read as 59.999999.</summary>
    public static TimeOnly? ParseTime(string s)
    {
        s = s.Trim().Replace(":", "", StringComparison.Ordinal);
        if (s.Length < 2) return null;
        var frac = 0L;
        var dot = s.IndexOf('.');
        if (dot >= 0)
        {
            var f = s[(dot + 1)..];
            if (f.Length is 0 or > 6 || !long.TryParse(f, NumberStyles.None, CultureInfo.InvariantCulture, out frac)) return null;
            for (var k = f.Length; k < 6; k++) frac *= 10;
            s = s[..dot];
        }
        if (s.Length is not (2 or 4 or 6) || !s.All(char.IsAsciiDigit)) return null;
        var h = int.Parse(s.AsSpan(0, 2), CultureInfo.InvariantCulture);
        var m = s.Length >= 4 ? int.Parse(s.AsSpan(2, 2), CultureInfo.InvariantCulture) : 0;
        var sec = s.Length >= 6 ? int.Parse(s.AsSpan(4, 2), CultureInfo.InvariantCulture) : 0;
        if (sec == 60) { sec = 59; frac = 999_999; }
        if (h > 23 || m > 59 || sec > 59) return null;
        return new TimeOnly(h, m, sec).Add(TimeSpan.FromTicks(frac * 10));
    }

    /// <summary>YYYY[MM[DD[HH[MM[SS[.F]]]]]][&amp;ZZXX]; without an offset the time is returned with offset zero and <paramref name="hasOffset"/> false.</summary>
    public static DateTimeOffset? ParseDateTime(string s) => ParseDateTime(s, out _);

    public static DateTimeOffset? ParseDateTime(string s, out bool hasOffset)
    {
        hasOffset = false;
        s = s.Trim();
        var offset = TimeSpan.Zero;
        var signAt = s.IndexOfAny(['+', '-'], Math.Min(4, s.Length));
        if (signAt > 0)
        {
            var z = s[(signAt + 1)..];
            if (z.Length != 4 || !z.All(char.IsAsciiDigit)) return null;
            offset = new TimeSpan(int.Parse(z.AsSpan(0, 2), CultureInfo.InvariantCulture), int.Parse(z.AsSpan(2, 2), CultureInfo.InvariantCulture), 0);
            if (s[signAt] == '-') offset = -offset;
            hasOffset = true;
            s = s[..signAt];
        }
        var datePart = s.Length >= 8 ? s[..8] : s;
        if (datePart.Length is not (4 or 6 or 8) || !datePart.All(char.IsAsciiDigit)) return null;
        var y = int.Parse(datePart.AsSpan(0, 4), CultureInfo.InvariantCulture);
        var mo = datePart.Length >= 6 ? int.Parse(datePart.AsSpan(4, 2), CultureInfo.InvariantCulture) : 1;
        var d = datePart.Length >= 8 ? int.Parse(datePart.AsSpan(6, 2), CultureInfo.InvariantCulture) : 1;
        var time = TimeOnly.MinValue;
        if (s.Length > 8)
        {
            if (ParseTime(s[8..]) is not { } t) return null;
            time = t;
        }
        try { return new DateTimeOffset(new DateOnly(y, mo, d).ToDateTime(time), offset); }
        catch (ArgumentException) { return null; }
    }

    public static string FormatDate(DateOnly d) => d.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
    public static string FormatTime(TimeOnly t) => t.Ticks % TimeSpan.TicksPerSecond == 0
        ? t.ToString("HHmmss", CultureInfo.InvariantCulture)
        : t.ToString("HHmmss.ffffff", CultureInfo.InvariantCulture);
}

/// <summary>A DA/TM/DT value or range "A-B", "A-", "-B" as used in queries (PS3.4 C.2.2.2.5).</summary>
public readonly record struct DicomDateRange(DateTimeOffset? Start, DateTimeOffset? End)
{
    public bool IsEmpty => Start == null && End == null;

    /// <summary>
    /// Parses a value or range. A DT bound without a UTC offset of its own takes <paramref name="offsetIfAbsent"/> (the
    /// query's timezone, PS3.4 C.2.2.2.1.3), or +0000 when that is null.
    /// </summary>
    public static DicomDateRange Parse(string value, VR vr, TimeSpan? offsetIfAbsent = null)
    {
        value = value.Trim();
        if (value.Length == 0) return default;
        var dash = vr == VR.DT ? FindRangeDash(value) : value.IndexOf('-');
        if (dash < 0)
        {
            var single = ParseBound(value, vr, false, offsetIfAbsent);
            return new DicomDateRange(single, ParseBound(value, vr, true, offsetIfAbsent));
        }
        var a = value[..dash];
        var b = value[(dash + 1)..];
        return new DicomDateRange(a.Length > 0 ? ParseBound(a, vr, false, offsetIfAbsent) : null, b.Length > 0 ? ParseBound(b, vr, true, offsetIfAbsent) : null);
    }

    // In DT the '-' of a UTC offset (…-0500) is not the range separator: the separator is the one whose halves both
    // parse, and four digits after a value that has its hour are an offset, not a year.
    private static int FindRangeDash(string v)
    {
        for (var i = 0; i < v.Length; i++)
        {
            if (v[i] != '-') continue;
            var a = v[..i];
            var b = v[(i + 1)..];
            if (a.Length >= 10 && b.Length == 4 && b.All(char.IsAsciiDigit)) continue;
            if ((a.Length == 0 || DicomDateTime.ParseDateTime(a) != null) && (b.Length == 0 || DicomDateTime.ParseDateTime(b) != null)) return i;
        }
        return -1;
    }

    private static DateTimeOffset? ParseBound(string s, VR vr, bool end, TimeSpan? offsetIfAbsent)
    {
        if (vr == VR.DA)
        {
            if (DicomDateTime.ParseDate(s) is not { } d) return null;
            return new DateTimeOffset(d.ToDateTime(end ? TimeOnly.MaxValue : TimeOnly.MinValue), TimeSpan.Zero);
        }
        if (vr == VR.TM)
        {
            if (DicomDateTime.ParseTime(s) is not { } t) return null;
            if (end) t = PadTimeEnd(s, t);
            return new DateTimeOffset(DateOnly.MinValue.ToDateTime(t), TimeSpan.Zero);
        }
        if (DicomDateTime.ParseDateTime(s, out var hasOffset) is not { } dt) return null;
        if (!hasOffset && offsetIfAbsent is { } offset) dt = new DateTimeOffset(dt.DateTime, offset);
        return end ? PadDateTimeEnd(s, dt) : dt;
    }

    // As for DA and TM, a DT without all its digits stands for the whole period it names: "2024" as an upper bound (or
    // as a stored value's span) runs to 20241231235959.999999, "20240101" to the day's last microsecond.
    private static DateTimeOffset PadDateTimeEnd(string s, DateTimeOffset dt)
    {
        s = s.Trim();
        var signAt = s.IndexOfAny(['+', '-'], Math.Min(4, s.Length));
        var body = signAt > 0 ? s[..signAt] : s;
        if (body.Contains('.', StringComparison.Ordinal)) return dt;
        try
        {
            var next = body.Length switch
            {
                4 => dt.AddYears(1),
                6 => dt.AddMonths(1),
                8 => dt.AddDays(1),
                10 => dt.AddHours(1),
                12 => dt.AddMinutes(1),
                _ => dt.AddSeconds(1),
            };
            return next.AddTicks(-10);
        }
        catch (ArgumentOutOfRangeException)
        {
            return DateTimeOffset.MaxValue; // the year 9999
        }
    }

    // "1030" as an upper bound means up to 10:30:59.999999.
    private static TimeOnly PadTimeEnd(string s, TimeOnly t)
    {
        var digits = s.Replace(":", "", StringComparison.Ordinal).Split('.')[0].Length;
        return digits switch
        {
            2 => new TimeOnly(t.Hour, 59, 59, 999, 999),
            4 => new TimeOnly(t.Hour, t.Minute, 59, 999, 999),
            _ => s.Contains('.') ? t : new TimeOnly(t.Hour, t.Minute, t.Second, 999, 999),
        };
    }
}
