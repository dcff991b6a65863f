namespace TciaPacs.Dicom.Codecs.Jpeg2000;

internal static class HtBlockEncoder
{
    public static (byte[] Bytes, int Planes) Encode(int[] c, int start, int stride, int width, int height) => throw new NotImplementedException();
}
