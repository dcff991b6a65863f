namespace TciaPacs.Dicom.Codecs;

/// <summary>
/// Encapsulated Uncompressed Explicit VR Little Endian (1.2.840.10008.1.2.1.98, PS3.5 A.4.11): native frames, each in a
/// fragment of its own, so that a very large multi-frame image can be read frame by frame through its offset tables.
/// Decoding and encoding only move the bytes; a 1-bit frame starts on a byte boundary there, as in other encapsulated
/// syntaxes (the transcoder joins and splits bit-packed frames).
/// </summary>
public sealed class EncapsulatedUncompressedCodec : IPixelCodec
{
    public TransferSyntax TransferSyntax => TransferSyntax.EncapsulatedUncompressedExplicitVRLittleEndian;

    public bool CanDecode(PixelDataInfo info) => IsSupported(info);

    public bool CanEncode(PixelDataInfo info) => IsSupported(info);

    private static bool IsSupported(PixelDataInfo info) =>
        info.Rows > 0 && info.Columns > 0 && info.SamplesPerPixel >= 1 && info.BitsAllocated is 1 or 8 or 16 or 32 or 64 && info.FrameSize <= Array.MaxLength;

    public PixelDataInfo GetDecodedInfo(PixelDataInfo encoded) => encoded;

    public PixelDataInfo GetEncodedInfo(PixelDataInfo native) => native;

    /// <summary>The frame's bytes; a fragment shorter than the frame is an error, its pad byte (PS3.5 A.4) is dropped.</summary>
    public void DecodeFrame(ReadOnlySpan<byte> encodedFrame, PixelDataInfo info, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(info);
        var frameSize = (int)info.FrameSize;
        if (destination.Length < frameSize)
            throw new ArgumentException($"The destination holds {destination.Length} bytes; a frame needs {frameSize}.", nameof(destination));
        if (encodedFrame.Length < frameSize)
            throw new DicomCodecException($"The encapsulated uncompressed frame has {encodedFrame.Length} bytes; {info.Rows}x{info.Columns}x{info.SamplesPerPixel} samples of {info.BitsAllocated} bits need {frameSize}.");
        if (encodedFrame.Length > frameSize + 1)
            throw new DicomCodecException($"The encapsulated uncompressed frame has {encodedFrame.Length} bytes, more than the {frameSize} of a frame (and its pad byte).");
        encodedFrame[..frameSize].CopyTo(destination);
    }

    public byte[] EncodeFrame(ReadOnlySpan<byte> nativeFrame, PixelDataInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        var frameSize = (int)info.FrameSize;
        if (nativeFrame.Length < frameSize)
            throw new ArgumentException($"The native frame has {nativeFrame.Length} bytes; it needs {frameSize}.", nameof(nativeFrame));
        var encoded = new byte[frameSize + (frameSize & 1)]; // fragments have even length (PS3.5 A.4)
        nativeFrame[..frameSize].CopyTo(encoded);
        return encoded;
    }
}
