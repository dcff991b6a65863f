using System.Buffers;
using TciaPacs.Dicom.Network.Pdus;

namespace TciaPacs.Dicom.Network.Associations;

/// <summary>
/// Reads whole PDUs from the transport: the 6-byte header, checked (type known, length within the limit for that
/// type, PS3.8 9.3.1) before the body is read into a pooled buffer. A PDU length of 4 GB is refused from its header.
/// Receives go through a small buffer, so a short PDU costs one receive call, not two; bytes read ahead stay for the
/// next PDU, so one reader must serve a connection from its first PDU to its last.
/// </summary>
internal sealed class PduStreamReader(Stream stream, AssociationOptions options)
{
    // What one receive may bring: a small PDU (a response, a command) whole with its header, in one call instead of two.
    // Larger bodies are read straight into their own buffer once this one is drained.
    private const int ReceiveBufferSize = 16 * 1024;

    private readonly byte[] _received = new byte[ReceiveBufferSize];
    private int _start, _end;   // unread bytes: _received[_start.._end]

    /// <summary>Polls for a reply due soon before a receive that may block (<see cref="ReplyPoll"/>); null: never.</summary>
    public ReplyPoll? ReplyPoll { get; set; }

    /// <summary>When a reply is awaited, when the last message went out (<see cref="System.Diagnostics.Stopwatch"/> ticks: the poll window's start); else null.</summary>
    public Func<long?>? ReplyDueSince { get; set; }

    // A read loop whose polls keep succeeding never waits, so it keeps the thread it runs on. Outside the thread pool
    // that is a socket I/O thread (inline completions), where every other connection's I/O completes: such a loop
    // stops polling MaxHold after its last receive that waited, so that its next receive waits and frees the thread.
    // (Moving to a pool thread instead was slower: each reply then also woke the idle socket I/O thread, for nothing.)
    internal static readonly TimeSpan MaxHold = TimeSpan.FromMilliseconds(1);
    private static readonly long MaxHoldTicks = (long)(MaxHold.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
    private long _resumedAt; // when a receive that waited last completed (Stopwatch ticks)

    private void PollForReply()
    {
        if (ReplyPoll is not { } poll || ReplyDueSince?.Invoke() is not { } sentAt || !poll.IsWorthPolling(sentAt)) return;
        if (!Thread.CurrentThread.IsThreadPoolThread && System.Diagnostics.Stopwatch.GetTimestamp() - _resumedAt >= MaxHoldTicks) return;
        poll.Wait(sentAt);
    }

    /// <summary>One receive, after a poll for a reply due soon; notes when a receive had to wait (see <see cref="MaxHold"/>).</summary>
    private async ValueTask<int> ReceiveAsync(Memory<byte> into, CancellationToken cancellationToken)
    {
        PollForReply();
        var receiving = stream.ReadAsync(into, cancellationToken);
        if (receiving.IsCompleted) return receiving.GetAwaiter().GetResult();
        var n = await receiving.ConfigureAwait(false);
        _resumedAt = System.Diagnostics.Stopwatch.GetTimestamp();
        return n;
    }

    /// <summary>A PDU whose body is rented: return it with <see cref="Return"/>.</summary>
    public readonly record struct RawPdu(PduType Type, byte[] Buffer, int Length)
    {
        public ReadOnlySpan<byte> Body => Buffer.AsSpan(0, Length);
        public ReadOnlyMemory<byte> Memory => Buffer.AsMemory(0, Length);
        public void Return() { if (Buffer.Length > 0) ArrayPool<byte>.Shared.Return(Buffer); }
    }

    /// <summary>Receives until at least <paramref name="count"/> unread bytes are buffered; false at end of stream first.</summary>
    private async ValueTask<bool> FillAsync(int count, CancellationToken cancellationToken)
    {
        if (_end - _start >= count) return true;
        if (_start > 0)
        {
            _received.AsSpan(_start, _end - _start).CopyTo(_received);
            _end -= _start;
            _start = 0;
        }
        while (_end < count)
        {
            var n = await ReceiveAsync(_received.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            if (n == 0) return false;
            _end += n;
        }
        return true;
    }

    /// <summary>The next PDU, or null at a clean end of stream before any byte of it.</summary>
    public async Task<RawPdu?> ReadAsync(CancellationToken cancellationToken)
    {
        if (!await FillAsync(PduReader.HeaderLength, cancellationToken).ConfigureAwait(false))
        {
            if (_end == _start) return null;
            throw new EndOfStreamException("the connection closed inside a PDU header");
        }
        var (type, length) = PduReader.ParseHeader(_received.AsSpan(_start, PduReader.HeaderLength));
        if (type is < 1 or > 7) throw new PduException($"unrecognized PDU type 0x{type:X2}", AbortPdu.UnrecognizedPdu);
        var pduType = (PduType)type;
        long limit = pduType switch
        {
            PduType.AssociateRequest or PduType.AssociateAccept => options.MaxAssociatePduLength,
            // PS3.8 D.1: the Maximum Length sub-item bounds the P-DATA-TF variable field; 0 means no limit of ours (kept finite).
            PduType.DataTransfer => options.MaxPduLength == 0 ? 64L * 1024 * 1024 : options.MaxPduLength,
            _ => 4,
        };
        if (length > limit) throw new PduException($"{pduType} PDU length {length} exceeds the limit of {limit} bytes", AbortPdu.InvalidPduParameterValue);
        if (pduType is PduType.AssociateReject or PduType.ReleaseRequest or PduType.ReleaseResponse or PduType.Abort && length != 4)
            throw new PduException($"{pduType} PDU length {length}, not 4", AbortPdu.InvalidPduParameterValue);
        _start += PduReader.HeaderLength;
        var buffer = length == 0 ? [] : ArrayPool<byte>.Shared.Rent((int)length);
        try
        {
            var buffered = (int)Math.Min(length, _end - _start);
            _received.AsSpan(_start, buffered).CopyTo(buffer);
            _start += buffered;
            for (var got = buffered; got < length;)
            {
                var n = await ReceiveAsync(buffer.AsMemory(got, (int)length - got), cancellationToken).ConfigureAwait(false);
                if (n == 0) throw new EndOfStreamException($"the connection closed inside a {pduType} PDU ({got} of {length} bytes)");
                got += n;
            }
        }
        catch
        {
            if (buffer.Length > 0) ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
        return new RawPdu(pduType, buffer, (int)length);
    }
}
