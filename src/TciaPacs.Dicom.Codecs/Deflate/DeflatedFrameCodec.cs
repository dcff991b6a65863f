using System.IO.Compression;

namespace TciaPacs.Dicom.Codecs.Deflate;

/// <summary>
/// Deflated Image Frame Compression (1.2.840.10008.1.2.8.1, PS3.5 8.2.16 and A.4.13, Supplement 244): each frame's native
/// bytes compressed on their own with Deflate (RFC 1951, no zlib header), one fragment per frame. Made for binary
/// segmentations: a 1-bit frame starts on a byte boundary here, its last byte padded with zero bits, where native 1-bit
/// frames follow each other bit by bit (the transcoder packs and unpacks them). Any native layout is held; the
/// attributes do not change.
/// </summary>
public sealed class DeflatedFrameCodec : IPixelCodec
{
    public TransferSyntax TransferSyntax => TransferSyntax.DeflatedImageFrameCompression;

    public bool CanDecode(PixelDataInfo info) => IsSupported(info);

    public bool CanEncode(PixelDataInfo info) => IsSupported(info);

    private static bool IsSupported(PixelDataInfo info) =>
        info.Rows > 0 && info.Columns > 0 && info.SamplesPerPixel >= 1 && info.BitsAllocated is 1 or 8 or 16 or 32 or 64 && info.FrameSize <= Array.MaxLength;

    public PixelDataInfo GetDecodedInfo(PixelDataInfo encoded) => encoded;

    public PixelDataInfo GetEncodedInfo(PixelDataInfo native) => native;

    /// <summary>Inflates exactly one frame: fewer bytes, or more, than the frame's size is a corrupt frame.</summary>
    public void DecodeFrame(ReadOnlySpan<byte> encodedFrame, PixelDataInfo info, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (!IsSupported(info)) throw new DicomCodecException($"Deflated frames of {info.SamplesPerPixel} samples of {info.BitsAllocated} bits are not supported.");
        var frameSize = (int)info.FrameSize;
        if (destination.Length < frameSize)
            throw new ArgumentException($"The destination holds {destination.Length} bytes; a frame needs {frameSize}.", nameof(destination));
        var compressed = encodedFrame.ToArray();
        using var inflater = new DeflateStream(new MemoryStream(compressed, writable: false), CompressionMode.Decompress);
        var frame = destination[..frameSize];
        try
        {
            var read = 0;
            while (read < frameSize && inflater.Read(frame[read..]) is var n && n > 0) read += n;
            if (read < frameSize) throw new DicomCodecException($"The deflated frame inflates to {read} bytes; the frame needs {frameSize}.");
            Span<byte> one = stackalloc byte[1];
            if (inflater.Read(one) > 0) throw new DicomCodecException($"The deflated frame inflates to more than the {frameSize} bytes of a frame.");
        }
        catch (InvalidDataException e)
        {
            throw new DicomCodecException($"The deflated frame is corrupt: {e.Message}", e);
        }
    }

    public byte[] EncodeFrame(ReadOnlySpan<byte> nativeFrame, PixelDataInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (!IsSupported(info)) throw new DicomCodecException($"Deflated frames of {info.SamplesPerPixel} samples of {info.BitsAllocated} bits are not supported.");
        var frameSize = (int)info.FrameSize;
        if (nativeFrame.Length < frameSize)
            throw new ArgumentException($"The native frame has {nativeFrame.Length} bytes; it needs {frameSize}.", nameof(nativeFrame));
        var output = new MemoryStream(frameSize / 4 + 64);
        using (var deflater = new DeflateStream(output, CompressionLevel.SmallestSize, leaveOpen: true)) deflater.Write(nativeFrame[..frameSize]);
        if ((output.Length & 1) == 1) output.WriteByte(0); // fragments have even length (PS3.5 A.4); inflating stops before it
        return output.ToArray();
    }
}
