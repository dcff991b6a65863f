using BenchmarkDotNet.Attributes;
using TciaPacs.Dicom;
using TciaPacs.Dicom.Codecs;

namespace TciaPacs.Benchmarks;

/// <summary>
/// Encoding one native frame losslessly: what ingest compression (Storage.Compression) adds to a store, and a WADO-RS
/// retrieve asking for a compressed syntax pays per frame. 512x512 16-bit CT (12 bits stored) and 640x480 RGB
/// ultrasound, in each syntax we encode.
/// </summary>
[MemoryDiagnoser]
public class EncodeBenchmarks
{
    private byte[] _frame = [];
    private PixelDataInfo _info = null!;
    private IPixelCodec _codec = null!;

    public static IEnumerable<string> Inputs =>
    [
        "transfer-syntax/explicit-vr-le/CT1_UNC.explicit_little_endian.dcm",
        "modality/US/US-RGB-8-esopecho",
    ];

    public static IEnumerable<string> Syntaxes => ["1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.70", "1.2.840.10008.1.2.5", "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.201"];

    [ParamsSource(nameof(Inputs))]
    public string Input { get; set; } = "";

    [ParamsSource(nameof(Syntaxes))]
    public string Syntax { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var file = DicomFile.Open(BenchmarkInputs.CorpusPath(Input));
        _info = PixelDataInfo.FromDataset(file.Dataset);
        _codec = CodecRegistry.Default.Get(TransferSyntax.Lookup(Syntax));
        _frame = file.Dataset.GetBytes(DicomTags.PixelData)[..(int)_info.FrameSize].ToArray();
        if (!_codec.CanEncode(_info)) throw new InvalidOperationException($"{Syntax} cannot encode {Input}");
    }

    [Benchmark]
    public int EncodeFrame() => _codec.EncodeFrame(_frame, _info).Length;
}
