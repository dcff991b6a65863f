namespace TciaPacs.Dicom.Codecs;

/// <summary>
/// What the codecs whose frames hold native bytes share (Deflated Image Frame Compression, Encapsulated Uncompressed):
/// any native layout, attributes unchanged, a 1-bit frame on a byte boundary (the transcoder joins and splits
/// bit-packed frames), the frame-size checks.
/// </summary>
public abstract class NativeFramesCodec : IPixelCodec
{
    public abstract TransferSyntax TransferSyntax { get; }

    public bool CanDecode(PixelDataInfo info) => IsSupported(info);

    public bool CanEncode(PixelDataInfo info) => IsSupported(info);

    private static bool IsSupported(PixelDataInfo info) =>
        info.Rows > 0 && info.Columns > 0 && info.SamplesPerPixel >= 1 && info.BitsAllocated is 1 or 8 or 16 or 32 or 64 && info.FrameSize <= Array.MaxLength;

    public PixelDataInfo GetDecodedInfo(PixelDataInfo encoded) => encoded;

    public PixelDataInfo GetEncodedInfo(PixelDataInfo native) => native;

    public void DecodeFrame(ReadOnlySpan<byte> encodedFrame, PixelDataInfo info, Span<byte> destination)
    {
        var frameSize = CheckedFrameSize(info);
        if (destination.Length < frameSize)
            throw new ArgumentException($"The destination holds {destination.Length} bytes; a frame needs {frameSize}.", nameof(destination));
        Decode(encodedFrame, info, destination[..frameSize]);
    }

    public byte[] EncodeFrame(ReadOnlySpan<byte> nativeFrame, PixelDataInfo info)
    {
        var frameSize = CheckedFrameSize(info);
        if (nativeFrame.Length < frameSize)
            throw new ArgumentException($"The native frame has {nativeFrame.Length} bytes; it needs {frameSize}.", nameof(nativeFrame));
        return Encode(nativeFrame[..frameSize]);
    }

    /// <summary>Fills <paramref name="frame"/> (exactly one frame) from the encoded bytes; <see cref="DicomCodecException"/> when they do not make one.</summary>
    private protected abstract void Decode(ReadOnlySpan<byte> encodedFrame, PixelDataInfo info, Span<byte> frame);

    /// <summary>The encoded frame, of even length (PS3.5 A.4).</summary>
    private protected abstract byte[] Encode(ReadOnlySpan<byte> frame);

    private int CheckedFrameSize(PixelDataInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (!IsSupported(info)) throw new DicomCodecException($"{TransferSyntax.Name} frames of {info.SamplesPerPixel} samples of {info.BitsAllocated} bits are not supported.");
        return (int)info.FrameSize;
    }
}
