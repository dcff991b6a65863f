namespace TciaPacs.Dicom.Codecs;

/// <summary>
/// Encodes and decodes the frames of one encapsulated transfer syntax (PS3.5 A.4, 8.2). A codec sees one frame at a
/// time: the concatenated fragments of an encoded frame, or one native frame laid out as <see cref="PixelDataInfo"/> says.
/// Implementations are stateless and safe to share between threads.
/// </summary>
public interface IPixelCodec
{
    TransferSyntax TransferSyntax { get; }

    bool CanDecode(PixelDataInfo info);

    bool CanEncode(PixelDataInfo info);

    /// <summary>
    /// What the decoded native data is, given the attributes of the encoded data set: a colour transform may change
    /// Photometric Interpretation (e.g. YBR_FULL_422 to RGB) and the codec chooses the Planar Configuration it writes.
    /// </summary>
    PixelDataInfo GetDecodedInfo(PixelDataInfo encoded);

    /// <summary>The attributes that go with the encoded data (PS3.5 8.2 lists the constraints per transfer syntax).</summary>
    PixelDataInfo GetEncodedInfo(PixelDataInfo native);

    /// <summary>
    /// Decodes one frame into <paramref name="destination"/>, which holds at least the decoded frame size
    /// (<see cref="GetDecodedInfo"/>'s <see cref="PixelDataInfo.FrameSize"/>), in its Planar Configuration.
    /// Throws <see cref="DicomCodecException"/> for corrupt data; never writes outside the frame.
    /// </summary>
    void DecodeFrame(ReadOnlySpan<byte> encodedFrame, PixelDataInfo info, Span<byte> destination);

    /// <summary>Encodes one native frame laid out as <paramref name="info"/> says; the result has even length (PS3.5 A.4).</summary>
    byte[] EncodeFrame(ReadOnlySpan<byte> nativeFrame, PixelDataInfo info);
}
