using System.IO.Compression;

namespace TciaPacs.Dicom.Codecs.Deflate;

/// <summary>
/// Deflated Image Frame Compression (1.2.840.10008.1.2.8.1, PS3.5 8.2.16 and A.4.13, Supplement 244): each frame's native
/// bytes compressed on their own with Deflate (RFC 1951, no zlib header), one fragment per frame. Made for binary
/// segmentations: a 1-bit frame starts on a byte boundary here, its last byte padded with zero bits, where native 1-bit
/// frames follow each other bit by bit (the transcoder packs and unpacks them). Any native layout is held; the
/// attributes do not change.
/// </summary>
public sealed class DeflatedFrameCodec : NativeFramesCodec
{
    public override TransferSyntax TransferSyntax => TransferSyntax.DeflatedImageFrameCompression;

    /// <summary>Inflates exactly one frame: fewer bytes, or more, than the frame's size is a corrupt frame.</summary>
    private protected override void Decode(ReadOnlySpan<byte> encodedFrame, PixelDataInfo info, Span<byte> frame)
    {
        using var inflater = new DeflateStream(new MemoryStream(encodedFrame.ToArray(), writable: false), CompressionMode.Decompress);
        try
        {
            var read = 0;
            while (read < frame.Length && inflater.Read(frame[read..]) is var n && n > 0) read += n;
            if (read < frame.Length) throw new DicomCodecException($"The deflated frame inflates to {read} bytes; the frame needs {frame.Length}.");
            Span<byte> one = stackalloc byte[1];
            if (inflater.Read(one) > 0) throw new DicomCodecException($"The deflated frame inflates to more than the {frame.Length} bytes of a frame.");
        }
        catch (InvalidDataException e)
        {
            throw new DicomCodecException($"The deflated frame is corrupt: {e.Message}", e);
        }
    }

    private protected override byte[] Encode(ReadOnlySpan<byte> frame)
    {
        var output = new MemoryStream(frame.Length / 4 + 64);
        using (var deflater = new DeflateStream(output, CompressionLevel.SmallestSize, leaveOpen: true)) deflater.Write(frame);
        if ((output.Length & 1) == 1) output.WriteByte(0); // fragments have even length (PS3.5 A.4); inflating stops before it
        return output.ToArray();
    }
}
