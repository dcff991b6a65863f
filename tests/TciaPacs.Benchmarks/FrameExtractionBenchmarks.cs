using BenchmarkDotNet.Attributes;
using TciaPacs.Dicom;
using TciaPacs.Dicom.Codecs.FrameExtraction;

namespace TciaPacs.Benchmarks;

/// <summary>
/// A frame-level retrieve's new instance (PS3.4 Annex Y): three frames of a multi-frame corpus file cut out and
/// written as Part 10 to a reused MemoryStream, beside writing the whole instance (what an IMAGE level retrieve
/// sends). The file is opened from disk each time, as the retrieve does, its pixel data left in the file.
/// </summary>
[MemoryDiagnoser]
public class FrameExtractionBenchmarks
{
    private static readonly ExtractingEquipment Equipment = new("TciaPacs", "BENCH", "BENCH");
    private string _path = null!;
    private FrameRange _range = null!;
    private IReadOnlyList<int> _frames = null!;
    private readonly MemoryStream _output = new();

    /// <summary>An enhanced MR with per-frame functional groups (19 frames, native) and an RLE ultrasound cine (10 frames).</summary>
    [Params("large/MOVEKNEE.dcm", "modality/US/US-PAL-8-10x-echo")]
    public string Input { get; set; } = "large/MOVEKNEE.dcm";

    [GlobalSetup]
    public void Setup()
    {
        _path = BenchmarkInputs.CorpusPath(Input);
        var file = DicomFile.Open(_path);
        var n = FrameExtractor.CountFrames(file.Dataset, file.TransferSyntax);
        _range = FrameRange.Simple(1, (uint)(n / 2), (uint)n);
        _frames = _range.Select(file.Dataset, n);
    }

    [Benchmark(Baseline = true)]
    public long WholeInstance()
    {
        _output.SetLength(0);
        DicomFile.Open(_path).Save(_output);
        return _output.Length;
    }

    [Benchmark]
    public long ThreeFrames()
    {
        _output.SetLength(0);
        FrameExtractor.Extract(DicomFile.Open(_path), _range, _frames, "1.2.3", Equipment, DateTimeOffset.UnixEpoch).Save(_output);
        return _output.Length;
    }
}
