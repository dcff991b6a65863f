using BenchmarkDotNet.Attributes;
using TciaPacs.Dicom;
using TciaPacs.Dicom.Codecs;

namespace TciaPacs.Benchmarks;

/// <summary>
/// Encoding one native frame in lossy JPEG at quality 90: what a WADO-RS frame asked for as image/jpeg, or a C-GET
/// sub-operation for a requestor that prefers JPEG, pays per frame. A 512x512 CT of 12 unsigned bits in JPEG Extended
/// and a 640x480 RGB ultrasound in JPEG Baseline (4:2:2).
/// </summary>
[MemoryDiagnoser]
public class LossyEncodeBenchmarks
{
    private byte[] _frame = [];
    private PixelDataInfo _info = null!;
    private IPixelCodec _codec = null!;

    public static IEnumerable<string> Inputs =>
    [
        "edge-cases/sequences/GH342.dcm 1.2.840.10008.1.2.4.51",
        "modality/US/US-RGB-8-esopecho 1.2.840.10008.1.2.4.50",
    ];

    [ParamsSource(nameof(Inputs))]
    public string Input { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var (path, syntax) = (Input.Split(' ')[0], Input.Split(' ')[1]);
        var file = DicomFile.Open(BenchmarkInputs.CorpusPath(path));
        _info = PixelDataInfo.FromDataset(file.Dataset);
        _codec = CodecRegistry.Default.Get(TransferSyntax.Lookup(syntax));
        _frame = file.Dataset.GetBytes(DicomTags.PixelData)[..(int)_info.FrameSize].ToArray();
        if (!_codec.CanEncode(_info)) throw new InvalidOperationException($"{syntax} cannot encode {path}");
    }

    [Benchmark]
    public int EncodeFrame() => _codec.EncodeFrame(_frame, _info).Length;
}
