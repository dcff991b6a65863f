using System.Buffers;

namespace TciaPacs.Dicom.Codecs.Jpeg;

/// <summary>
/// Decodes JPEG-LS Lossless (1.2.840.10008.1.2.4.80) and Near-Lossless (4.81) frames (PS3.5 A.4.3) with
/// <see cref="JpegLsDecoder"/>. Encoding is not offered. Samples are written in Bits Allocated (8 or 16 bits, little
/// endian), colour-by-pixel; JPEG-LS applies no colour transform in DICOM, so the attributes do not change.
/// </summary>
public sealed class JpegLsCodec(TransferSyntax transferSyntax) : IPixelCodec
{
    public static IReadOnlyList<JpegLsCodec> All { get; } = [new(TransferSyntax.JPEGLSLossless), new(TransferSyntax.Lookup("1.2.840.10008.1.2.4.81"))];

    public TransferSyntax TransferSyntax { get; } = transferSyntax ?? throw new ArgumentNullException(nameof(transferSyntax));

    public bool CanDecode(PixelDataInfo info) =>
        info.Rows > 0 && info.Columns > 0 && info.SamplesPerPixel is >= 1 and <= 4 && info.BitsAllocated is 8 or 16 && info.FrameSize <= Array.MaxLength;

    public bool CanEncode(PixelDataInfo info) => false;

    public PixelDataInfo GetDecodedInfo(PixelDataInfo encoded)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        return encoded.SamplesPerPixel > 1 ? encoded with { PlanarConfiguration = 0 } : encoded;
    }

    public PixelDataInfo GetEncodedInfo(PixelDataInfo native) => throw new NotSupportedException($"{TransferSyntax.Name} encoding is not supported.");

    public byte[] EncodeFrame(ReadOnlySpan<byte> nativeFrame, PixelDataInfo info) => throw new NotSupportedException($"{TransferSyntax.Name} encoding is not supported.");

    public void DecodeFrame(ReadOnlySpan<byte> encodedFrame, PixelDataInfo info, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (!CanDecode(info))
            throw new DicomCodecException($"{TransferSyntax.Name} frames of {info.SamplesPerPixel} samples of {info.BitsAllocated} bits allocated are not supported.");
        var frameSize = (int)info.FrameSize;
        if (destination.Length < frameSize)
            throw new ArgumentException($"The destination holds {destination.Length} bytes; a frame needs {frameSize}.", nameof(destination));
        var input = ArrayPool<byte>.Shared.Rent(encodedFrame.Length);
        try
        {
            encodedFrame.CopyTo(input);
            JpegLsDecoder decoded;
            try
            {
                decoded = JpegLsDecoder.Decode(input, encodedFrame.Length, d =>
                {
                    if (d.Width > info.Columns || d.Height > info.Rows)
                        throw new DicomCodecException($"The JPEG-LS frame is {d.Width}x{d.Height}; the data set says {info.Columns}x{info.Rows} (Columns x Rows).");
                    if (d.Components != info.SamplesPerPixel)
                        throw new DicomCodecException($"The JPEG-LS frame has {d.Components} components; Samples per Pixel is {info.SamplesPerPixel}.");
                    if (d.Precision > info.BitsAllocated)
                        throw new DicomCodecException($"The JPEG-LS frame has {d.Precision}-bit samples; Bits Allocated is {info.BitsAllocated}.");
                });
            }
            catch (Exception e) when (e is IndexOutOfRangeException or ArgumentException or OverflowException)
            {
                throw new DicomCodecException($"The JPEG-LS stream is corrupt: {e.Message}", e);
            }
            destination[..frameSize].Clear();
            var bytes = info.BitsAllocated == 8 ? 1 : 2;
            var n = info.SamplesPerPixel;
            for (var c = 0; c < n; c++)
            {
                var plane = decoded.Samples(c);
                if (plane.Length == 0) throw new DicomCodecException($"The JPEG-LS stream has no scan for component {c + 1}.");
                // A smaller image goes in the frame's top-left corner, as for JPEG (JpegCodec).
                for (var y = 0; y < decoded.Height; y++)
                    for (int x = 0, at = (y * info.Columns * n + c) * bytes; x < decoded.Width; x++, at += n * bytes)
                    {
                        var v = plane[y * decoded.Width + x];
                        destination[at] = (byte)v;
                        if (bytes == 2) destination[at + 1] = (byte)(v >> 8);
                    }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(input);
        }
    }
}
