using BenchmarkDotNet.Attributes;
using TciaPacs.Dicom;
using TciaPacs.Dicom.Codecs;

namespace TciaPacs.Benchmarks;

/// <summary>
/// Decoding one frame of a corpus instance into a reused buffer: what a C-MOVE/C-GET to a native-only peer, a WADO-RS
/// retrieve in Explicit VR Little Endian or a rendering pays per frame (scripts/bench-decode.sh times dcmtk's decoders
/// on the same files for comparison).
/// </summary>
[MemoryDiagnoser]
public class DecodeBenchmarks
{
    private byte[] _frame = [];
    private byte[] _output = [];
    private PixelDataInfo _info = null!;
    private IPixelCodec _codec = null!;

    /// <summary>
    /// The corpus files measured: 512x512 16-bit CT in JPEG Lossless SV1 and RLE, 636x434 RGB JPEG Baseline 4:2:2, a
    /// 2394x3062 mammogram in JPEG Lossless, 512x512 CT in JPEG-LS; in JPEG 2000, 512x512 CT reversible and
    /// irreversible, 640x480 RGB ultrasound reversible (RCT), a 2048x2500 NM image reversible; in HTJ2K, 640x480 RGB
    /// lossless and lossy.
    /// </summary>
    public static IEnumerable<string> Inputs =>
    [
        "transfer-syntax/jpeg-lossless-sv1/CT-JPEGLosslessSV1.dcm",
        "encapsulated/D_CLUNIE_CT1_RLE_FRAGS.dcm",
        "transfer-syntax/jpeg-baseline/GH538-jpeg1.dcm",
        "edge-cases/pixel/GH133.dcm",
        "encapsulated/CT1_UNC.not_fragmented_bot_jpeg_ls.80.dcm",
        "edge-cases/vr/explicit_VR-UN.dcm",
        "transfer-syntax/jpeg2000/CT1_J2KI",
        "transfer-syntax/jpeg2000-lossless/US1_J2KR.dcm",
        "large/NM_Kakadu44_SOTmarkerincons.dcm",
        "transfer-syntax/htj2k/HTJ2KLossless_08_RGB.dcm",
        "transfer-syntax/htj2k/HTJ2K_08_RGB.dcm",
    ];

    [ParamsSource(nameof(Inputs))]
    public string Input { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var file = DicomFile.Open(BenchmarkInputs.CorpusPath(Input));
        _info = PixelDataInfo.FromDataset(file.Dataset);
        _codec = CodecRegistry.Default.Get(file.TransferSyntax);
        _frame = EncapsulatedFrames.FromDataset(file.Dataset).GetFrame(0).ToArray();
        _output = new byte[_codec.GetDecodedInfo(_info).FrameSize];
    }

    [Benchmark]
    public int DecodeFrame()
    {
        _codec.DecodeFrame(_frame, _info, _output);
        return _output[^1];
    }
}
