using System.Diagnostics;
using System.Net.Sockets;

namespace TciaPacs.Dicom.Network.Associations;

/// <summary>
/// Polls a socket for a reply that is due within a short window after a send, before its reader blocks.
/// A retrieval's sub-operations go one at a time (no asynchronous operations window), and the peer's C-STORE-RSP
/// comes 0.1–0.3 ms after each C-STORE. A reader that blocks is woken by the kernel when it comes; on a virtual machine
/// whose idle vCPUs halt, that wake-up is paid on every sub-operation (a loopback ping-pong here: 65 µs blocking, 22 µs
/// polling). The poller yields its CPU between polls, so a peer scheduled on the same CPU still runs. On a socket I/O
/// thread a reader polls for at most <see cref="PduStreamReader.MaxHold"/> after its last receive that waited.
/// Bounded three ways: the caller polls only while a request of ours awaits its response; one poller at a time per
/// <see cref="PollGate"/> (it holds a socket I/O thread that other connections' completions may need); and polling
/// stops for good on a connection whose replies missed the window <see cref="MissesBeforeOff"/> times in a row
/// (a peer across a network, or one slow to store), so that such a peer costs no CPU.
/// </summary>
internal sealed class ReplyPoll(Socket socket, TimeSpan window, PollGate? gate = null)
{
    internal const int MissesBeforeOff = 16;

    private readonly long _windowTicks = (long)(window.TotalSeconds * Stopwatch.Frequency);
    private readonly PollGate _gate = gate ?? PollGate.Process;
    private int _misses;

    private static long s_polls;

    /// <summary>Polls begun in this process (diagnostics, tests).</summary>
    internal static long Polls => Interlocked.Read(ref s_polls);

    /// <summary>Whether this connection's replies missed the window too often to poll for them again.</summary>
    public bool IsOff => _misses >= MissesBeforeOff;

    /// <summary>Whether a poll from now could help: polling is on, the window that began at <paramref name="sentAt"/> is still open, and nothing is readable yet.</summary>
    public bool IsWorthPolling(long sentAt)
    {
        if (IsOff || Stopwatch.GetTimestamp() >= sentAt + _windowTicks) return false;
        try
        {
            return socket.Available == 0;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>
    /// Polls until a byte is readable, or until the window that began at <paramref name="sentAt"/> (a
    /// <see cref="Stopwatch.GetTimestamp"/>) has passed; true when a byte is readable. Returns false at once when the
    /// window has passed already, when another poll holds the gate, or when polling is off.
    /// </summary>
    public bool Wait(long sentAt)
    {
        if (IsOff) return false;
        var deadline = sentAt + _windowTicks;
        if (Stopwatch.GetTimestamp() >= deadline) return false;
        if (!_gate.TryEnter()) return false;
        Interlocked.Increment(ref s_polls);
        try
        {
            while (socket.Available == 0)
            {
                if (Stopwatch.GetTimestamp() >= deadline)
                {
                    _misses++;
                    return false;
                }
                Thread.Yield();
            }
            _misses = 0;
            return true;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // The connection is going; the read that follows reports how.
            return false;
        }
        finally
        {
            _gate.Exit();
        }
    }

    /// <summary>The plain TCP socket under an association's stream; null for TLS, where readable bytes on the socket need not make a record.</summary>
    public static Socket? PlainSocketOf(Stream stream) => stream switch
    {
        NetworkStream network => network.Socket,
        Client.OwningStream owning => PlainSocketOf(owning.Inner),
        _ => null,
    };
}

/// <summary>Lets one <see cref="ReplyPoll"/> poll at a time.</summary>
internal sealed class PollGate
{
    /// <summary>The process's gate, shared by every association.</summary>
    public static readonly PollGate Process = new();

    private int _held;

    public bool TryEnter() => Interlocked.CompareExchange(ref _held, 1, 0) == 0;

    public void Exit() => Volatile.Write(ref _held, 0);
}
