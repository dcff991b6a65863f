using TciaPacs.Dicom;
using TciaPacs.Dicom.Codecs;
using TciaPacs.Dicom.IO;

namespace TciaPacs.Web.Wado;

/// <summary>
/// The frames of a stored instance, one at a time, without loading or transcoding the whole instance: native frames
/// are read at their offset in the file (PS3.5 8.1.1), encapsulated ones from their fragments (PS3.5 A.4) and decoded
/// only when a registered codec can (RLE).
/// </summary>
internal sealed class PixelFrames
{
    private readonly DicomElement _pixelData;
    private readonly EncapsulatedFrames? _encapsulated;

    public PixelFrames(DicomFile file)
    {
        File = file;
        _pixelData = file.Dataset.Get(DicomTags.PixelData) ?? throw new DicomWebException(404, "the instance has no Pixel Data (7FE0,0010)");
        try
        {
            Info = PixelDataInfo.FromDataset(file.Dataset);
            if (_pixelData is DicomFragmentSequence)
            {
                _encapsulated = EncapsulatedFrames.FromDataset(file.Dataset);
                Count = _encapsulated.Count;
            }
            else Count = Info.NumberOfFrames;
        }
        catch (DicomCodecException ex)
        {
            throw new DicomWebException(404, $"the pixel data cannot be split into frames: {ex.Message}");
        }
    }

    public DicomFile File { get; }
    public PixelDataInfo Info { get; }
    public int Count { get; }
    public bool IsEncapsulated => _encapsulated != null;
    public string StoredSyntax => File.TransferSyntax.Uid;

    public bool CanDecode => _encapsulated == null || (CodecRegistry.Default.TryGet(File.TransferSyntax, out var c) && c.CanDecode(Info));

    /// <summary>The info of the native (decoded) frames.</summary>
    public PixelDataInfo NativeInfo => _encapsulated != null && CodecRegistry.Default.TryGet(File.TransferSyntax, out var c) ? c.GetDecodedInfo(Info) : Info;

    /// <summary>Frame <paramref name="index"/> (0-based) as stored: encoded bytes, or the native bytes little endian.</summary>
    public ReadOnlyMemory<byte> Stored(int index)
    {
        if (_encapsulated != null) return _encapsulated.GetFrame(index);
        if (Info.BitsAllocated == 1) return BitFrame(index);
        var size = Info.NativeFrameSize;
        var bytes = new byte[size];
        var offset = index * size;
        if (_pixelData.Buffer.Length < offset + size) throw new DicomWebException(404, $"the pixel data is shorter than frame {index + 1} needs");
        if (_pixelData.Buffer is FileBuffer { SwapUnit: 1 } fb)
        {
            using var fs = new FileStream(fb.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
            fs.Position = fb.Offset + offset;
            fs.ReadExactly(bytes);
        }
        else if (_pixelData.Buffer is MemoryBuffer mb) mb.Bytes.Span.Slice((int)offset, (int)size).CopyTo(bytes);
        else
        {
            using var s = _pixelData.Buffer.OpenRead();
            var skip = new byte[1 << 16];
            var left = offset;
            while (left > 0) left -= s.Read(skip, 0, (int)Math.Min(skip.Length, left)) is var n && n > 0 ? n : throw new EndOfStreamException();
            s.ReadExactly(bytes);
        }
        return bytes;
    }

    /// <summary>
    /// A frame of 1-bit pixels (PS3.5 8.1.1: frames follow each other bit by bit, so a frame may start inside a byte),
    /// repacked to start at bit 0 of its first byte, its last byte padded with zero bits.
    /// </summary>
    private byte[] BitFrame(int index)
    {
        var bits = Info.PixelsPerFrame * Info.SamplesPerPixel;
        var first = index * bits;
        var all = _pixelData.Buffer.GetBytes().Span;
        if ((first + bits + 7) / 8 > all.Length) throw new DicomWebException(404, $"the pixel data is shorter than frame {index + 1} needs");
        var frame = new byte[(bits + 7) / 8];
        for (long i = 0; i < bits; i++)
        {
            var source = first + i;
            if ((all[(int)(source >> 3)] >> (int)(source & 7) & 1) != 0) frame[i >> 3] |= (byte)(1 << (int)(i & 7));
        }
        return frame;
    }

    /// <summary>Frame <paramref name="index"/> (0-based) as native little-endian bytes, decoded when stored encapsulated.</summary>
    public ReadOnlyMemory<byte> Native(int index)
    {
        if (_encapsulated == null) return Stored(index);
        var codec = CodecRegistry.Default.Get(File.TransferSyntax);
        var decoded = new byte[codec.GetDecodedInfo(Info).FrameSize];
        codec.DecodeFrame(_encapsulated.GetFrame(index).Span, Info, decoded);
        return decoded;
    }

    /// <summary>
    /// Whether frames can be sent encoded in <paramref name="target"/>: a syntax with an encoder that holds the
    /// (decoded) image. A lossy one (JPEG Baseline or Extended) only when asked for by name or by its media type's
    /// default (<c>image/jpeg</c>): the caller chose lossy frames, which carry no UID to change.
    /// </summary>
    public bool CanEncode(string target)
    {
        var syntax = TransferSyntax.Lookup(target);
        return syntax.IsEncapsulated && target != StoredSyntax && CanDecode && Info.NumberOfFrames >= 1
            && CodecRegistry.Default.TryGet(syntax, out var codec) && codec.CanEncode(NativeInfo);
    }

    /// <summary>Frame <paramref name="index"/> (0-based) encoded in <paramref name="target"/> (<see cref="CanEncode"/>), from its native or decoded bytes.</summary>
    public ReadOnlyMemory<byte> Encoded(int index, TransferSyntax target)
    {
        // A JPEG XL JPEG Recompression frame asked for as JPEG: the JPEG it was made from, rebuilt exactly, when the
        // syntax holds it; else decoded and encoded like any other.
        if (_encapsulated != null && Dicom.Codecs.JpegXl.JpegXlCodec.IsRecompression(File.TransferSyntax)
            && Dicom.Codecs.JpegXl.JpegXlCodec.RebuiltJpeg(_encapsulated.GetFrame(index).Span, target) is { } jpeg)
            return jpeg;
        return CodecRegistry.Default.Get(target).EncodeFrame(Native(index).Span, NativeInfo);
    }

    /// <summary>Parses a frame list (PS3.18 8.3.3.1.1: 1-based numbers separated by commas).</summary>
    public static List<int> ParseList(string text)
    {
        var list = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) || n < 1)
                throw new DicomWebException(400, $"'{text}' is not a list of frame numbers (1, 2, …) separated by commas");
            list.Add(n);
        }
        return list;
    }
}
