using TciaPacs.Dicom.IO;

namespace TciaPacs.Dicom.Codecs;

/// <summary>
/// Reads the frames of native Pixel Data one at a time (PS3.5 8.1.1: frames follow each other without padding), so a
/// value left in its file is never loaded whole. Frames in memory are returned as slices, without copying.
/// </summary>
internal sealed class NativeFrameReader : IDisposable
{
    private readonly DicomBuffer _buffer;
    private readonly int _frameSize;
    private Stream? _stream;
    private byte[]? _frame;
    private int _next;

    public NativeFrameReader(DicomBuffer buffer, PixelDataInfo info)
    {
        if (info.FrameSize > Array.MaxLength) throw new DicomCodecException($"A native frame of {info.FrameSize} bytes is larger than an array holds.");
        if (info.NumberOfFrames > 1 && info.PixelsPerFrame * info.SamplesPerPixel * info.BitsAllocated % 8 != 0)
            throw new DicomCodecException($"Frames of {info.BitsAllocated}-bit pixel data do not start on byte boundaries; they cannot be read one by one.");
        if (buffer.Length < info.TotalSize)
            throw new DicomCodecException($"Native Pixel Data has {buffer.Length} bytes; {info.NumberOfFrames} frame(s) of {info.Rows}x{info.Columns}x{info.SamplesPerPixel} samples of {info.BitsAllocated} bits need {info.TotalSize} (PS3.5 8.1.1).");
        _buffer = buffer;
        _frameSize = (int)info.FrameSize;
    }

    /// <summary>The next frame; valid until the next call.</summary>
    public ReadOnlyMemory<byte> Next()
    {
        var index = _next++;
        if (_buffer is MemoryBuffer memory) return memory.Bytes.Slice(index * _frameSize, _frameSize);
        _stream ??= _buffer.OpenRead();
        _frame ??= new byte[_frameSize];
        _stream.ReadExactly(_frame);
        return _frame;
    }

    public void Dispose() => _stream?.Dispose();
}
