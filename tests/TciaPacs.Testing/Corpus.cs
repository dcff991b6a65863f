using NUnit.Framework;

namespace TciaPacs.Testing;

/// <summary>The shared third-party DICOM corpus (../shared/dicom-corpus beside the repository) and its manifest.</summary>
public static class Corpus
{
    private static readonly Lazy<string> RootPath = new(FindRoot);

    /// <summary>The corpus folder: $TCIAPACS_CORPUS, else ../shared/dicom-corpus from the repository root.</summary>
    public static string Root => RootPath.Value;

    public static string RepositoryRoot
    {
        get
        {
            var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
            while (dir != null && !File.Exists(Path.Combine(dir.FullName, "TciaPacs.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("TciaPacs.sln not found above the test directory.");
        }
    }

    private static string FindRoot()
    {
        var env = Environment.GetEnvironmentVariable("TCIAPACS_CORPUS");
        if (!string.IsNullOrEmpty(env)) return env;
        var path = Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "dicom-corpus"));
        if (!File.Exists(Path.Combine(path, "MANIFEST.tsv")))
            throw new InvalidOperationException($"The DICOM corpus is not at {path}: put ../shared beside the repository or set TCIAPACS_CORPUS.");
        return path;
    }

    public sealed record Entry(string Path, string FullPath, string TransferSyntax, string CharacterSet, string Exercises, string DcmdumpParses)
    {
        /// <summary>dcmdump (3.6.7, default options) reads it.</summary>
        public bool DcmtkParses => DcmdumpParses.StartsWith("yes", StringComparison.Ordinal);
        public override string ToString() => Path;
    }

    private static readonly Lazy<IReadOnlyList<Entry>> EntriesLazy = new(() =>
    {
        var lines = File.ReadAllLines(System.IO.Path.Combine(Root, "MANIFEST.tsv"));
        var header = lines[0].Split('\t');
        int Col(string name) => Array.IndexOf(header, name);
        var result = new List<Entry>();
        foreach (var line in lines.Skip(1))
        {
            if (line.Length == 0) continue;
            var c = line.Split('\t');
            result.Add(new Entry(c[Col("path")], System.IO.Path.Combine(Root, c[Col("path")]), c[Col("transfer_syntax_uid")],
                c[Col("specific_character_set")], c[Col("exercises")], c[Col("dcmdump_parses")]));
        }
        return result;
    });

    public static IReadOnlyList<Entry> Entries => EntriesLazy.Value;

    /// <summary>Corpus paths as NUnit test cases (one test per file).</summary>
    public static IEnumerable<TestCaseData> AllFiles() => Entries.Select(e => new TestCaseData(e.Path).SetArgDisplayNames(e.Path));

    public static IEnumerable<TestCaseData> DcmtkReadable() => Entries.Where(e => e.DcmtkParses).Select(e => new TestCaseData(e.Path).SetArgDisplayNames(e.Path));

    /// <summary>
    /// Corpus files our reader parses (decided when the tests are discovered): the cases for tests of what comes after
    /// reading. The files we reject are covered, one by one, by the reader's own tests.
    /// </summary>
    public static IEnumerable<TestCaseData> Readable() =>
        Entries.Where(e => Parses(e.FullPath)).Select(e => new TestCaseData(e.Path).SetArgDisplayNames(e.Path));

    private static bool Parses(string path)
    {
        try
        {
            var file = TciaPacs.Dicom.DicomFile.Open(path, new TciaPacs.Dicom.IO.DicomReadOptions { LargeValueThreshold = long.MaxValue });
            return file.Dataset.Count > 0;
        }
        catch (TciaPacs.Dicom.DicomParseException)
        {
            return false;
        }
    }

    public static string PathOf(string relative) => System.IO.Path.Combine(Root, relative);

    public static Entry Get(string relative) => Entries.First(e => e.Path == relative);
}
