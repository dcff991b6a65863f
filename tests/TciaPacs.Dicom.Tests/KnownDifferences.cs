using TciaPacs.Testing;

namespace TciaPacs.Dicom.Tests;

/// <summary>known-differences.tsv: file, element path (or * for the whole file, dcmtk for the structure test), reason.</summary>
internal static class KnownDifferences
{
    public static Dictionary<(string File, string Path), string> Load()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "known-differences.tsv");
        var result = new Dictionary<(string, string), string>();
        foreach (var line in File.ReadAllLines(path))
        {
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var c = line.Split('\t');
            if (c.Length < 3 || c[2].Trim().Length == 0) throw new FormatException($"known-differences.tsv: every row needs file, path and a reason: '{line}'");
            result[(c[0], c[1])] = c[2];
        }
        return result;
    }
}
