namespace TciaPacs.Dicom.Codecs.Jpeg;

/// <summary>
/// A JPEG-family stream being written into a growing buffer: markers and their segments byte by byte. The encoders'
/// bit writers add their entropy-coded data, each with its own byte stuffing (T.81 F.1.2.3, T.87 A.1).
/// </summary>
internal abstract class JpegStreamWriter(int capacity)
{
    private byte[] _out = new byte[Math.Max(capacity, 256)];
    private int _length;

    public void WriteByte(byte b)
    {
        if (_length == _out.Length)
        {
            var bigger = new byte[(int)Math.Min(Array.MaxLength, (long)_out.Length * 2)];
            if (bigger.Length == _out.Length) throw new DicomCodecException("The encoded frame would be larger than an array holds.");
            _out.AsSpan(0, _length).CopyTo(bigger);
            _out = bigger;
        }
        _out[_length++] = b;
    }

    public void WriteUInt16(int v)
    {
        WriteByte((byte)(v >> 8));
        WriteByte((byte)v);
    }

    public void WriteMarker(byte marker)
    {
        WriteByte(0xFF);
        WriteByte(marker);
    }

    /// <summary>
    /// A frame header (T.81 B.2.2, whose layout T.87's SOF55 shares): precision, lines, samples per line, then each
    /// component, numbered from 1, unsubsampled, quantization table 0.
    /// </summary>
    public void WriteFrameHeader(byte marker, int precision, int height, int width, int components)
    {
        WriteMarker(marker);
        WriteUInt16(8 + 3 * components);
        WriteByte((byte)precision);
        WriteUInt16(height);
        WriteUInt16(width);
        WriteByte((byte)components);
        for (var c = 0; c < components; c++)
        {
            WriteByte((byte)(c + 1));
            WriteByte(0x11);
            WriteByte(0);
        }
    }

    public byte[] ToArray() => _out.AsSpan(0, _length).ToArray();
}

/// <summary>The stream being written; in entropy-coded data a 0xFF byte is followed by a stuffed 0x00 (T.81 F.1.2.3).</summary>
internal sealed class JpegBitWriter(int capacity) : JpegStreamWriter(capacity)
{
    private ulong _pending;
    private int _count;

    /// <summary>Writes the low <paramref name="n"/> bits (at most 31) of <paramref name="value"/>, the first one highest.</summary>
    public void Write(int value, int n)
    {
        _pending = _pending << n | ((uint)value & ((1u << n) - 1));
        _count += n;
        while (_count >= 8)
        {
            _count -= 8;
            var b = (byte)(_pending >> _count);
            WriteByte(b);
            if (b == 0xFF) WriteByte(0);
        }
    }

    /// <summary>Pads the last byte with 1 bits (F.1.2.3).</summary>
    public void EndEntropyCodedData()
    {
        if (_count > 0) Write(0xFF, 8 - _count);
    }
}
