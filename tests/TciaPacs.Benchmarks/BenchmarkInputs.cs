using TciaPacs.Dicom;

namespace TciaPacs.Benchmarks;

/// <summary>
/// The CT instances measured, from the shared corpus: $TCIAPACS_CORPUS, else ../shared/dicom-corpus beside the
/// repository root (the folder holding TciaPacs.sln, found by walking up from the current directory and from the
/// assembly's folder, since BenchmarkDotNet runs each benchmark from a generated project under bin/).
/// </summary>
public static class BenchmarkInputs
{
    /// <summary>128x128 CT, 16 bits, Explicit VR LE (pydicom's CT_small, ~39 KB).</summary>
    public const string CtSmall = "CT_small";

    /// <summary>512x512 CT, 16 bits, Explicit VR LE (~530 KB): the size of a typical clinical CT slice.</summary>
    public const string Ct512 = "CT_512";

    private const string CtSmallPath = "transfer-syntax/explicit-vr-le/CT_small.dcm";
    private const string Ct512Path = "transfer-syntax/explicit-vr-le/CT1_UNC.explicit_little_endian.dcm";

    private static readonly Lazy<string> CorpusRoot = new(FindCorpus);

    public static IEnumerable<string> Names => [CtSmall, Ct512];

    /// <summary>A corpus file by its path in the corpus (MANIFEST.tsv's first column).</summary>
    public static string CorpusPath(string relative) => Path.Combine(CorpusRoot.Value, relative);

    /// <summary>Path of a Part 10 file holding the named input (a synthesised 512x512 CT goes to the temp folder).</summary>
    public static string PathOf(string name) => name switch
    {
        CtSmall => Path.Combine(CorpusRoot.Value, CtSmallPath),
        Ct512 => File.Exists(Path.Combine(CorpusRoot.Value, Ct512Path)) ? Path.Combine(CorpusRoot.Value, Ct512Path) : SynthesiseCt512(),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown benchmark input"),
    };

    /// <summary>
    /// Fallback when the corpus has no 512x512 CT: CT_small with Rows/Columns set to 512 and Pixel Data replaced by
    /// 512x512 16-bit samples (a ramp, so the bytes are not all equal).
    /// </summary>
    private static string SynthesiseCt512()
    {
        var target = Path.Combine(Path.GetTempPath(), "tciapacs-bench-ct512.dcm");
        if (File.Exists(target)) return target;
        var source = DicomFile.Open(Path.Combine(CorpusRoot.Value, CtSmallPath), new Dicom.IO.DicomReadOptions { LargeValueThreshold = long.MaxValue });
        var pixels = new ushort[512 * 512];
        for (var i = 0; i < pixels.Length; i++) pixels[i] = (ushort)(i % 4096);
        var ds = source.Dataset;
        ds.AddOrUpdate(DicomTags.Rows, VR.US, (ushort)512);
        ds.AddOrUpdate(DicomTags.Columns, VR.US, (ushort)512);
        ds.AddOrUpdate(DicomTags.PixelData, VR.OW, pixels);
        source.Save(target, TransferSyntax.ExplicitVRLittleEndian);
        return target;
    }

    private static string FindCorpus()
    {
        var env = Environment.GetEnvironmentVariable("TCIAPACS_CORPUS");
        if (!string.IsNullOrEmpty(env)) return env;
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
            {
                if (!File.Exists(Path.Combine(dir.FullName, "TciaPacs.sln"))) continue;
                var corpus = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "dicom-corpus"));
                if (File.Exists(Path.Combine(corpus, "MANIFEST.tsv"))) return corpus;
            }
        }
        throw new InvalidOperationException("The DICOM corpus was not found: set TCIAPACS_CORPUS or put ../shared/dicom-corpus beside the repository.");
    }
}
