namespace TciaPacs.Dicom.Codecs;

/// <summary>
/// Encapsulated Uncompressed Explicit VR Little Endian (1.2.840.10008.1.2.1.98, PS3.5 A.4.11): native frames, each in a
/// fragment of its own, so that a very large multi-frame image can be read frame by frame through its offset tables.
/// Decoding and encoding only move the bytes.
/// </summary>
public sealed class EncapsulatedUncompressedCodec : NativeFramesCodec
{
    public override TransferSyntax TransferSyntax => TransferSyntax.EncapsulatedUncompressedExplicitVRLittleEndian;

    /// <summary>The frame's bytes; a fragment shorter than the frame is an error, its pad byte (PS3.5 A.4) is dropped.</summary>
    private protected override void Decode(ReadOnlySpan<byte> encodedFrame, PixelDataInfo info, Span<byte> frame)
    {
        if (encodedFrame.Length < frame.Length)
            throw new DicomCodecException($"The encapsulated uncompressed frame has {encodedFrame.Length} bytes; {info.Rows}x{info.Columns}x{info.SamplesPerPixel} samples of {info.BitsAllocated} bits need {frame.Length}.");
        if (encodedFrame.Length > frame.Length + 1)
            throw new DicomCodecException($"The encapsulated uncompressed frame has {encodedFrame.Length} bytes, more than the {frame.Length} of a frame (and its pad byte).");
        encodedFrame[..frame.Length].CopyTo(frame);
    }

    private protected override byte[] Encode(ReadOnlySpan<byte> frame)
    {
        var encoded = new byte[frame.Length + (frame.Length & 1)];
        frame.CopyTo(encoded);
        return encoded;
    }
}
