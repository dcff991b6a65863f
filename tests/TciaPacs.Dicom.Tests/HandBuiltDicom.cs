using System.Buffers.Binary;
using System.Text;

namespace TciaPacs.Dicom.Tests;

/// <summary>Byte-level builders for hand-made (and deliberately broken) Part 10 input, explicit VR little endian.</summary>
internal static class HandBuiltDicom
{
    /// <summary>A stream that cannot seek nor tell its length, as a network body is.</summary>
    public sealed class NonSeekableStream(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    public static void Element(MemoryStream ms, ushort group, ushort element, string vr, ReadOnlySpan<byte> value, uint? declaredLength = null)
    {
        Span<byte> h = stackalloc byte[12];
        BinaryPrimitives.WriteUInt16LittleEndian(h, group);
        BinaryPrimitives.WriteUInt16LittleEndian(h[2..], element);
        h[4] = (byte)vr[0];
        h[5] = (byte)vr[1];
        var length = declaredLength ?? (uint)value.Length;
        if (VR.TryParse(vr, out var known) && known.HasLongLength)
        {
            h[6] = 0;
            h[7] = 0;
            BinaryPrimitives.WriteUInt32LittleEndian(h[8..], length);
            ms.Write(h);
        }
        else
        {
            BinaryPrimitives.WriteUInt16LittleEndian(h[6..], (ushort)length);
            ms.Write(h[..8]);
        }
        ms.Write(value);
    }

    public static void Raw(MemoryStream ms, uint tag, uint length)
    {
        Span<byte> h = stackalloc byte[8];
        BinaryPrimitives.WriteUInt16LittleEndian(h, (ushort)(tag >> 16));
        BinaryPrimitives.WriteUInt16LittleEndian(h[2..], (ushort)tag);
        BinaryPrimitives.WriteUInt32LittleEndian(h[4..], length);
        ms.Write(h);
    }

    /// <summary>Preamble, DICM and a file meta declaring <paramref name="tsUid"/>.</summary>
    public static MemoryStream Header(string tsUid = "1.2.840.10008.1.2.1")
    {
        var body = new MemoryStream();
        Element(body, 0x0002, 0x0001, "OB", [0, 1]);
        Element(body, 0x0002, 0x0002, "UI", Encoding.ASCII.GetBytes("1.2.840.10008.5.1.4.1.1.7\0"));
        Element(body, 0x0002, 0x0003, "UI", Encoding.ASCII.GetBytes("1.2.3.4\0"));
        var ts = Encoding.ASCII.GetBytes(tsUid);
        if (ts.Length % 2 == 1) ts = [.. ts, 0];
        Element(body, 0x0002, 0x0010, "UI", ts);
        var ms = new MemoryStream();
        ms.Write(new byte[128]);
        ms.Write("DICM"u8);
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(len, (uint)body.Length);
        Element(ms, 0x0002, 0x0000, "UL", len);
        body.WriteTo(ms);
        return ms;
    }
}
