using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using TciaPacs.Dicom.Network.Associations;
using TciaPacs.Dicom.Network.Client;
using TciaPacs.Dicom.Network.Dimse;
using TciaPacs.Dicom.Network.Pdus;
using TciaPacs.Dicom.Network.Services;

namespace TciaPacs.Dicom.Network.Tests;

/// <summary>A logger that keeps its lines, so tests can assert what was logged.</summary>
internal sealed class ListLogger : ILogger
{
    public ConcurrentQueue<string> Lines { get; } = new();
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(LogLevel logLevel) => true;
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Lines.Enqueue($"{logLevel}: {formatter(state, exception)}{(exception != null ? $" [{exception.GetType().Name}]" : "")}");
    public string All => string.Join('\n', Lines);

    /// <summary>Waits until <paramref name="count"/> lines contain <paramref name="text"/> (log lines come after the events they tell).</summary>
    public string WaitFor(string text, int count = 1)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (Lines.Count(l => l.Contains(text, StringComparison.Ordinal)) < count && clock.Elapsed < TimeSpan.FromSeconds(10)) Thread.Sleep(50);
        return All;
    }
}

/// <summary>A provider for tests: stores spooled files into a folder, finds from a list (slowly when asked), retrieves a list.</summary>
internal sealed class TestProvider(ILogger log, string storeFolder) : DimseServiceProvider(log)
{
    public List<DicomDataset> FindResults { get; } = [];
    public TimeSpan FindDelay { get; set; }
    public List<RetrieveItem> RetrieveItems { get; } = [];
    public ConcurrentBag<string> Stored { get; } = [];
    public ConcurrentDictionary<string, byte[]?> DataSetHashes { get; } = new();
    public ConcurrentDictionary<string, bool> StoredOnReadLoop { get; } = new();
    public TimeSpan PendingInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    protected override TimeSpan PendingResponseInterval => PendingInterval;

    protected override Task<StoreOutcome> StoreAsync(DicomAssociation association, DimseMessage request, CancellationToken cancellationToken)
    {
        var target = Path.Combine(storeFolder, request.Command.AffectedSopInstanceUid + ".dcm");
        File.Copy(request.DataSetFile!, target, overwrite: true);
        Stored.Add(target);
        DataSetHashes[request.Command.AffectedSopInstanceUid!] = request.DataSetHash;
        StoredOnReadLoop[request.Command.AffectedSopInstanceUid!] = association.OnReadLoop;
        return Task.FromResult(new StoreOutcome(DimseStatus.Success));
    }

    protected override async IAsyncEnumerable<DicomDataset> FindAsync(DicomAssociation association, string sopClassUid, DicomDataset identifier, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var r in FindResults)
        {
            if (FindDelay > TimeSpan.Zero) await Task.Delay(FindDelay, cancellationToken);
            yield return r;
        }
    }

    protected override Task<IReadOnlyList<RetrieveItem>> RetrieveAsync(DicomAssociation association, string sopClassUid, DicomDataset identifier, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<RetrieveItem>>(RetrieveItems);
}

/// <summary>A <see cref="DicomServer"/> on a free loopback port with a <see cref="TestProvider"/>.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    public TestServer(AssociationOptions? options = null, int maxAssociations = 64, Func<AssociateRequest, AssociateReject?>? screen = null,
        System.Security.Cryptography.X509Certificates.X509Certificate2? tls = null,
        System.Security.Cryptography.X509Certificates.X509Certificate2Collection? clientTrust = null, bool checkRevocation = false)
    {
        Folder = Path.Combine(Path.GetTempPath(), "tciapacs-net-" + Guid.NewGuid().ToString("N")[..12]);
        Spool = Path.Combine(Folder, "spool");
        Directory.CreateDirectory(Spool);
        Directory.CreateDirectory(Path.Combine(Folder, "stored"));
        Provider = new TestProvider(Log, Path.Combine(Folder, "stored"));
        var native = SopClasses.Native.ToHashSet();
        var policy = new NegotiationPolicy
        {
            TransferSyntaxesFor = uid => uid == SopClasses.Verification || SopClasses.QueryRetrieve.Contains(uid) ? native : SopClasses.Storage.Contains(uid) ? SopClasses.AllTransferSyntaxes : null,
        };
        Server = DicomServer.Start(new DicomServerOptions
        {
            Address = IPAddress.Loopback, Port = 0, MaxAssociations = maxAssociations,
            Association = (options ?? new AssociationOptions()) with { TempDirectory = Spool },
            TlsCertificate = tls,
            TlsClientTrust = clientTrust,
            TlsCheckRevocation = checkRevocation,
        }, policy, screen ?? (_ => null), Provider, Log);
    }

    public ListLogger Log { get; } = new();
    public TestProvider Provider { get; }
    public DicomServer Server { get; }
    public string Folder { get; }
    public string Spool { get; }
    public int Port => Server.Port;

    public Task<ClientAssociation> ConnectAsync(IEnumerable<(string, IReadOnlyList<string>)> proposals, string calledAe = "SCP", AssociationOptions? options = null,
        IEnumerable<RoleSelection>? roles = null, IDimseRequestHandler? handler = null) =>
        DicomClient.ConnectAsync("127.0.0.1", Port, new AssociateRequest
        {
            CalledAe = calledAe, CallingAe = "TESTSCU", PresentationContexts = DicomClient.Propose(proposals),
            UserInformation = new UserInformation { RoleSelections = roles?.ToList() ?? [] },
        }, options, handler);

    public async Task<ushort> EchoAsync()
    {
        await using var client = await ConnectAsync([(SopClasses.Verification, [TransferSyntax.ImplicitVRLittleEndian.Uid])]);
        var status = await EchoOnAsync(client.Association);
        await client.ReleaseAsync();
        return status;
    }

    public static async Task<ushort> EchoOnAsync(DicomAssociation association)
    {
        var pc = association.AcceptedContexts(SopClasses.Verification).First();
        ushort status = 0xFFFF;
        await foreach (var r in association.SendRequestAsync(pc.Id, DimseCommand.Request(CommandField.CEchoRequest, association.NextMessageId(), SopClasses.Verification, false), null))
            using (r) status = r.Command.Status;
        return status;
    }

    /// <summary>A raw TCP connection for sending arbitrary bytes.</summary>
    public async Task<Socket> RawAsync()
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await s.ConnectAsync(IPAddress.Loopback, Port);
        return s;
    }

    /// <summary>Reads until the peer closes (or the timeout); returns what came.</summary>
    public static async Task<byte[]> ReadToCloseAsync(Socket s, TimeSpan timeout) => (await ReadUntilCloseAsync(s, timeout)).Bytes;

    /// <summary>What arrives until the peer closes (true) or <paramref name="wait"/> passes with the connection open (false).</summary>
    public static async Task<(byte[] Bytes, bool Closed)> ReadUntilCloseAsync(Socket s, TimeSpan wait)
    {
        var all = new MemoryStream();
        var buffer = new byte[65536];
        using var cts = new CancellationTokenSource(wait);
        try
        {
            while (true)
            {
                var n = await s.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                if (n == 0) return (all.ToArray(), true);
                all.Write(buffer, 0, n);
            }
        }
        catch (OperationCanceledException)
        {
            return (all.ToArray(), false);
        }
        catch (SocketException)
        {
            return (all.ToArray(), true); // reset by the peer
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        try { Directory.Delete(Folder, true); } catch (IOException) { }
    }
}
