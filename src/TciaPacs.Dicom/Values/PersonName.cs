namespace TciaPacs.Dicom.Values;

/// <summary>
/// A PN value (PS3.5 6.2.1): up to three component groups (alphabetic, ideographic, phonetic) separated by '=',
/// each of five components (family, given, middle, prefix, suffix) separated by '^'.
/// </summary>
public sealed record PersonName(string Alphabetic, string Ideographic, string Phonetic)
{
    public static PersonName Parse(string value)
    {
        var groups = value.Split('=');
        return new PersonName(groups[0], groups.Length > 1 ? groups[1] : "", groups.Length > 2 ? groups[2] : "");
    }

    public static string[] Components(string group)
    {
        var c = group.Split('^');
        var r = new string[5];
        for (var i = 0; i < 5; i++) r[i] = i < c.Length ? c[i] : "";
        return r;
    }

    public string FamilyName => Components(Alphabetic)[0];
    public string GivenName => Components(Alphabetic)[1];
    public string MiddleName => Components(Alphabetic)[2];
    public string Prefix => Components(Alphabetic)[3];
    public string Suffix => Components(Alphabetic)[4];

    /// <summary>The value as encoded, trailing empty groups and components dropped.</summary>
    public override string ToString()
    {
        var groups = new[] { Alphabetic, Ideographic, Phonetic };
        var n = groups.Length;
        while (n > 1 && groups[n - 1].Length == 0) n--;
        return string.Join('=', groups.Take(n).Select(g => g.TrimEnd('^')));
    }
}
