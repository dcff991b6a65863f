namespace TciaPacs.Dicom.Formats.Internal;

/// <summary>
/// A PN value split as DICOM JSON and the Native DICOM Model present it (PS3.18 F.2.2, PS3.19 A.1.5): component groups
/// separated by '=' (alphabetic, ideographic, phonetic), each of components separated by '^' (PS3.5 6.2.1).
/// </summary>
internal static class PersonNameGroups
{
    public static readonly string[] GroupNames = ["Alphabetic", "Ideographic", "Phonetic"];
    public static readonly string[] ComponentNames = ["FamilyName", "GivenName", "MiddleName", "NamePrefix", "NameSuffix"];

    /// <summary>The groups of a value; a surplus '=' (invalid) stays inside the last group so nothing is lost.</summary>
    public static string[] Split(string value) => value.Split('=', GroupNames.Length);

    /// <summary>The components of a group; a surplus '^' stays inside the suffix.</summary>
    public static string[] Components(string group) => group.Split('^', ComponentNames.Length);

    /// <summary>Joins groups or components given by index (null where absent), dropping trailing absent ones.</summary>
    public static string Join(IReadOnlyList<string?> parts, char separator)
    {
        var n = parts.Count;
        while (n > 0 && parts[n - 1] == null) n--;
        return string.Join(separator, parts.Take(n).Select(g => g ?? ""));
    }
}
