using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using NUnit.Framework;
using TciaPacs.Dicom.Network.Associations;

namespace TciaPacs.Dicom.Network.Tests;

/// <summary>The poll for a reply due soon (<see cref="ReplyPoll"/>): it ends when a byte comes, at its deadline, or never starts.</summary>
public class ReplyPollTests
{
    private Socket _reader = null!, _writer = null!;

    [SetUp]
    public void Connect()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        _writer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        _writer.Connect(listener.LocalEndPoint!);
        _reader = listener.Accept();
    }

    [TearDown]
    public void Close()
    {
        _reader.Dispose();
        _writer.Dispose();
    }

    [Test]
    public async Task Ends_as_soon_as_a_byte_is_readable()
    {
        var poll = new ReplyPoll(_reader, TimeSpan.FromSeconds(30), new PollGate());
        var clock = Stopwatch.StartNew();
        var waiting = Task.Run(() => poll.Wait(Stopwatch.GetTimestamp()));
        await Task.Delay(100);
        Assert.That(waiting.IsCompleted, Is.False, "no byte yet: still polling");
        _writer.Send([0x04]);
        Assert.That(await waiting.WaitAsync(TimeSpan.FromSeconds(10)), Is.True);
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)), "a byte ends the poll long before its 30 s window");
    }

    [Test]
    public void Gives_up_at_the_end_of_the_window()
    {
        var poll = new ReplyPoll(_reader, TimeSpan.FromMilliseconds(80), new PollGate());
        var clock = Stopwatch.StartNew();
        Assert.That(poll.Wait(Stopwatch.GetTimestamp()), Is.False);
        Assert.That(clock.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(79)));
    }

    [Test]
    public void Does_not_poll_once_the_window_has_passed()
    {
        var poll = new ReplyPoll(_reader, TimeSpan.FromSeconds(1), new PollGate());
        var clock = Stopwatch.StartNew();
        Assert.That(poll.Wait(Stopwatch.GetTimestamp() - 2 * Stopwatch.Frequency), Is.False);
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromMilliseconds(500)));
        Assert.That(poll.IsOff, Is.False, "a window that passed before the poll is not a miss");
    }

    [Test]
    public void Stops_polling_for_a_peer_whose_replies_keep_missing_the_window()
    {
        var poll = new ReplyPoll(_reader, TimeSpan.FromMilliseconds(5), new PollGate());
        for (var i = 0; i < ReplyPoll.MissesBeforeOff - 1; i++) Assert.That(poll.Wait(Stopwatch.GetTimestamp()), Is.False);
        Assert.That(poll.IsOff, Is.False);
        _writer.Send([0x04]);
        Assert.That(poll.Wait(Stopwatch.GetTimestamp()), Is.True, "a reply in time resets the count");
        _reader.Receive(new byte[1]);
        for (var i = 0; i < ReplyPoll.MissesBeforeOff; i++) poll.Wait(Stopwatch.GetTimestamp());
        Assert.That(poll.IsOff, Is.True);

        var longWindow = new ReplyPoll(_reader, TimeSpan.FromSeconds(30), new PollGate());
        for (var i = 0; i < ReplyPoll.MissesBeforeOff; i++) longWindow.Wait(Stopwatch.GetTimestamp() - 30 * Stopwatch.Frequency + Stopwatch.Frequency / 200);
        Assert.That(longWindow.IsOff, Is.True);
        var clock = Stopwatch.StartNew();
        Assert.That(longWindow.Wait(Stopwatch.GetTimestamp()), Is.False);
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)), "once off, a 30 s window is not polled");
    }

    [Test]
    public async Task One_poller_at_a_time_per_gate()
    {
        var gate = new PollGate();
        using var other = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var first = new ReplyPoll(_reader, TimeSpan.FromSeconds(30), gate);
        var polling = Task.Run(() => first.Wait(Stopwatch.GetTimestamp()));
        await Task.Delay(100);
        Assert.That(polling.IsCompleted, Is.False);

        var second = new ReplyPoll(_writer, TimeSpan.FromSeconds(30), gate);
        var clock = Stopwatch.StartNew();
        Assert.That(second.Wait(Stopwatch.GetTimestamp()), Is.False, "the gate is held: the second reader blocks at once instead");
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
        Assert.That(second.IsOff, Is.False, "a closed gate is not a miss");

        _writer.Send([0x04]);
        Assert.That(await polling.WaitAsync(TimeSpan.FromSeconds(10)), Is.True);
        Assert.That(gate.TryEnter(), Is.True, "the gate opens when the poll ends");
    }

    [Test]
    public void Ends_when_the_socket_is_closed_under_it()
    {
        var poll = new ReplyPoll(_reader, TimeSpan.FromSeconds(30), new PollGate());
        var waiting = Task.Run(() => poll.Wait(Stopwatch.GetTimestamp()));
        Thread.Sleep(50);
        _reader.Dispose();
        Assert.That(waiting.Wait(TimeSpan.FromSeconds(10)), Is.True, "the poll ends");
        Assert.That(waiting.Result, Is.False);
    }

    [Test]
    public void Worth_polling_only_while_the_window_is_open_and_nothing_is_readable()
    {
        var poll = new ReplyPoll(_reader, TimeSpan.FromSeconds(30), new PollGate());
        Assert.That(poll.IsWorthPolling(Stopwatch.GetTimestamp()), Is.True);
        Assert.That(poll.IsWorthPolling(Stopwatch.GetTimestamp() - 31 * Stopwatch.Frequency), Is.False, "the window has passed");
        _writer.Send([0x04]);
        var clock = Stopwatch.StartNew();
        while (_reader.Available == 0 && clock.Elapsed < TimeSpan.FromSeconds(10)) Thread.Sleep(1);
        Assert.That(poll.IsWorthPolling(Stopwatch.GetTimestamp()), Is.False, "a byte is readable already");
        _reader.Dispose();
        Assert.That(poll.IsWorthPolling(Stopwatch.GetTimestamp()), Is.False, "the socket is gone");
    }

    [Test]
    public void A_reader_outside_the_thread_pool_lets_a_receive_wait_at_least_every_MaxHold_however_well_it_polls()
    {
        // The peer answers each PDU the reader has read with the next one, 50 µs later; the reader awaits a reply all
        // the time, with a 30 s window, so every poll would succeed. On a thread outside the pool (a socket I/O thread,
        // with inline completions), the reader must still let a receive wait now and then, so that the thread serves
        // other connections.
        var counting = new CountingStream(new NetworkStream(_reader, ownsSocket: false));
        var reader = new PduStreamReader(counting, new AssociationOptions())
        {
            ReplyPoll = new ReplyPoll(_reader, TimeSpan.FromSeconds(30), new PollGate()),
            ReplyDueSince = () => Stopwatch.GetTimestamp(),
        };
        const int count = 2000;
        var read = 0;
        using var stop = new CancellationTokenSource();
        var peer = new Thread(() =>
        {
            byte[] pdu = [0x04, 0, 0, 0, 0, 6, 0, 0, 0, 2, 1, 3];
            for (var i = 0; i < count && !stop.IsCancellationRequested; i++)
            {
                while (Volatile.Read(ref read) < i && !stop.IsCancellationRequested) Thread.Yield();
                var at = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 20_000;
                while (Stopwatch.GetTimestamp() < at) Thread.Yield();
                _writer.Send(pdu);
            }
        }) { IsBackground = true };
        var polls = ReplyPoll.Polls;
        var clock = Stopwatch.StartNew();
        Exception? failure = null;
        var loop = new Thread(() =>
        {
            try
            {
                while (read < count)
                {
                    reader.ReadAsync(CancellationToken.None).GetAwaiter().GetResult()!.Value.Return();
                    Interlocked.Increment(ref read);
                }
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        }) { IsBackground = true };
        peer.Start();
        loop.Start();
        var done = loop.Join(TimeSpan.FromSeconds(60));
        stop.Cancel();
        Assert.That(done && failure == null, Is.True, $"read {read} of {count}: {failure}");
        var elapsedMs = clock.Elapsed.TotalMilliseconds;
        TestContext.Progress.WriteLine($"{counting.Waited} receives waited, {ReplyPoll.Polls - polls} polls, in {elapsedMs:F0} ms");
        Assert.That(ReplyPoll.Polls - polls, Is.GreaterThan(count / 10), "the reader polled");
        // About one in every MaxHold and a wake-up (129-232 in 153-586 ms here); without the bound, none. A handful is
        // asked, so that a loaded machine, where each wait lasts longer, still passes.
        Assert.That(counting.Waited, Is.GreaterThanOrEqualTo(5),
            $"{counting.Waited} receives waited in {elapsedMs:F0} ms");
    }

    /// <summary>Counts the receives that could not complete at once.</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        public int Waited;
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var receiving = inner.ReadAsync(buffer, cancellationToken);
            if (!receiving.IsCompleted) Interlocked.Increment(ref Waited);
            return receiving;
        }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Test]
    public void Polls_plain_tcp_only()
    {
        using var network = new NetworkStream(_reader, ownsSocket: false);
        Assert.That(ReplyPoll.PlainSocketOf(network), Is.SameAs(_reader));
        using var ssl = new System.Net.Security.SslStream(new NetworkStream(_writer, ownsSocket: false));
        Assert.That(ReplyPoll.PlainSocketOf(ssl), Is.Null, "TLS: readable bytes need not make a record");
        Assert.That(ReplyPoll.PlainSocketOf(new MemoryStream()), Is.Null);
    }
}
