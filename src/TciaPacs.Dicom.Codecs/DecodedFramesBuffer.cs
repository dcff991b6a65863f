using TciaPacs.Dicom.IO;

namespace TciaPacs.Dicom.Codecs;

/// <summary>
/// Native pixel data decoded from encapsulated frames as it is read, one frame in memory at a time: writing a decoded
/// instance to a file or a socket then streams, whatever the number of frames. A frame that cannot be decoded throws
/// <see cref="DicomCodecException"/> from the read that reaches it.
/// </summary>
internal sealed class DecodedFramesBuffer(EncapsulatedFrames frames, IPixelCodec decoder, PixelDataInfo info, long frameSize) : DicomBuffer
{
    private long FrameSize => frameSize;

    public override long Length => frameSize * frames.Count;

    /// <summary>Every frame decoded into one array (for a caller that needs the value whole; writers stream instead).</summary>
    public override ReadOnlyMemory<byte> GetBytes()
    {
        if (Length > Array.MaxLength) throw new DicomCodecException($"Decoded pixel data of {Length} bytes is larger than an array holds: stream it (OpenRead).");
        var all = new byte[Length];
        for (var f = 0; f < frames.Count; f++) DecodeFrame(f, all.AsSpan((int)(f * frameSize), (int)frameSize));
        return all;
    }

    public override Stream OpenRead() => new FrameStream(this);

    private void DecodeFrame(int frame, Span<byte> destination)
    {
        try
        {
            decoder.DecodeFrame(frames.GetFrame(frame).Span, info, destination);
        }
        catch (DicomCodecException e)
        {
            throw new DicomCodecException($"Frame {frame + 1} of {frames.Count}: {e.Message}", e);
        }
    }

    /// <summary>Read-only and seekable; decodes the frame under the position when a read needs it.</summary>
    private sealed class FrameStream(DecodedFramesBuffer owner) : Stream
    {
        private readonly byte[] _frame = new byte[owner.FrameSize];
        private int _decoded = -1; // the frame in _frame
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => owner.Length;

        public override long Position
        {
            get => _position;
            set => _position = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_position >= Length || buffer.IsEmpty || owner.FrameSize == 0) return 0;
            var frame = (int)(_position / owner.FrameSize);
            if (frame != _decoded)
            {
                _decoded = -1; // a failed decode leaves no half frame behind
                owner.DecodeFrame(frame, _frame);
                _decoded = frame;
            }
            var at = (int)(_position - frame * owner.FrameSize);
            var n = Math.Min(buffer.Length, _frame.Length - at);
            _frame.AsSpan(at, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => Length + offset,
        };

        public override void Flush() { }
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
