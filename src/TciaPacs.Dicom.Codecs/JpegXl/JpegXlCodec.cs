using TciaPacs.Dicom.Codecs.Jpeg;

namespace TciaPacs.Dicom.Codecs.JpegXl;

/// <summary>
/// Decodes the JPEG XL transfer syntaxes (PS3.5 A.4.13, 8.2.16) with libjxl (<see cref="LibJxl"/>), one codestream per
/// frame. JPEG XL JPEG Recompression (4.111) holds a JPEG stream recompressed without loss: the JPEG is rebuilt byte for
/// byte and decoded as JPEG Baseline is, so its pixels and attributes are what the original JPEG's would be (YBR to
/// RGB, as the JPEG codec converts a lossy frame). JPEG XL Lossless (4.110) and JPEG XL (4.112) decode to MONOCHROME2
/// or RGB samples at the data set's Bits Allocated, colour-by-pixel. Not encoded. Without libjxl on the system nothing
/// is decodable, and the transcoder says so (<see cref="LibJxl.Missing"/>).
/// </summary>
public sealed class JpegXlCodec(TransferSyntax transferSyntax) : IPixelCodec
{
    private static readonly JpegCodec Baseline = new(TransferSyntax.JPEGBaseline8Bit);

    public static IReadOnlyList<JpegXlCodec> All { get; } =
    [
        new(TransferSyntax.Lookup(DicomUids.JPEGXLLossless.Value)),
        new(TransferSyntax.Lookup(DicomUids.JPEGXLJPEGRecompression.Value)),
        new(TransferSyntax.Lookup(DicomUids.JPEGXL.Value)),
    ];

    public TransferSyntax TransferSyntax { get; } = transferSyntax ?? throw new ArgumentNullException(nameof(transferSyntax));

    private bool IsRecompressedJpeg => TransferSyntax.Uid == DicomUids.JPEGXLJPEGRecompression.Value;

    /// <summary>Whether libjxl is installed, which every JPEG XL decoding needs.</summary>
    public static bool IsAvailable => LibJxl.Instance is not null;

    /// <summary>For the server's start-up log: the libjxl version in use, or what to install.</summary>
    public static string Availability => LibJxl.Instance is { } jxl ? $"libjxl {jxl.Version}" : LibJxl.Missing;

    public bool CanDecode(PixelDataInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (!IsAvailable) return false;
        if (IsRecompressedJpeg) return Baseline.CanDecode(info);
        return info.Rows > 0 && info.Columns > 0 && info.SamplesPerPixel is 1 or 3 && info.BitsAllocated is 8 or 16
            && info.BitsStored <= info.BitsAllocated && info.FrameSize <= Array.MaxLength;
    }

    public bool CanEncode(PixelDataInfo info) => false;

    /// <summary>Whether <paramref name="syntax"/> is JPEG XL JPEG Recompression, whose frames each rebuild a JPEG stream exactly.</summary>
    public static bool IsRecompression(TransferSyntax syntax) => syntax?.Uid == DicomUids.JPEGXLJPEGRecompression.Value;

    /// <summary>
    /// The JPEG stream a JPEG XL JPEG Recompression frame was made from (PS3.5 8.2.16), rebuilt byte for byte, when
    /// <paramref name="target"/> holds it: JPEG Baseline a baseline stream (SOF0), JPEG Extended a baseline or extended
    /// sequential one (SOF0, SOF1); else null. The image is the one the JPEG had: no new loss, no new instance.
    /// </summary>
    public static byte[]? RebuiltJpeg(ReadOnlySpan<byte> frame, TransferSyntax target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (target.Uid is not ("1.2.840.10008.1.2.4.50" or "1.2.840.10008.1.2.4.51")) return null;
        var jxl = LibJxl.Instance ?? throw new DicomCodecException(LibJxl.Missing);
        var jpeg = jxl.ReconstructJpeg(frame);
        var marker = JpegCodec.FrameMarker(jpeg);
        var held = marker == 0xC0 || (marker == 0xC1 && target.Uid == "1.2.840.10008.1.2.4.51");
        return held ? jpeg : null;
    }

    public PixelDataInfo GetDecodedInfo(PixelDataInfo encoded)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        if (IsRecompressedJpeg) return Baseline.GetDecodedInfo(encoded);
        // libjxl gives colour as RGB (an XYB-coded image is converted back), grey as one channel.
        return encoded.SamplesPerPixel == 3 ? encoded with { PhotometricInterpretation = "RGB", PlanarConfiguration = 0 } : encoded;
    }

    public PixelDataInfo GetEncodedInfo(PixelDataInfo native) =>
        throw new NotSupportedException($"{TransferSyntax.Name} is decoded here, not encoded.");

    public byte[] EncodeFrame(ReadOnlySpan<byte> nativeFrame, PixelDataInfo info) =>
        throw new NotSupportedException($"{TransferSyntax.Name} is decoded here, not encoded.");

    public void DecodeFrame(ReadOnlySpan<byte> encodedFrame, PixelDataInfo info, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(info);
        var jxl = LibJxl.Instance ?? throw new DicomCodecException(LibJxl.Missing);
        if (IsRecompressedJpeg)
        {
            Baseline.DecodeFrame(jxl.ReconstructJpeg(encodedFrame), info, destination);
            return;
        }
        var decoded = GetDecodedInfo(info);
        var samples = jxl.DecodePixels(encodedFrame, info.SamplesPerPixel, info.BitsAllocated == 16, image =>
        {
            if (image.Width != info.Columns || image.Height != info.Rows)
                throw new DicomCodecException($"The JPEG XL frame is {image.Width} × {image.Height}, not the {info.Columns} × {info.Rows} of Columns and Rows.");
            if (image.ColorChannels != info.SamplesPerPixel)
                throw new DicomCodecException($"The JPEG XL frame has {image.ColorChannels} colour channel(s), not the {info.SamplesPerPixel} of Samples per Pixel.");
            if (image.FloatingPoint || image.BitsPerSample > info.BitsAllocated)
                throw new DicomCodecException($"The JPEG XL frame's samples ({(image.FloatingPoint ? "floating point, " : "")}{image.BitsPerSample} bits) do not fit Bits Allocated {info.BitsAllocated}.");
        });
        if (samples.Length != decoded.FrameSize)
            throw new DicomCodecException($"libjxl gave {samples.Length} bytes for a frame of {decoded.FrameSize}.");
        samples.CopyTo(destination);
    }
}
