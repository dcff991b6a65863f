using System.Net.Security;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TciaPacs.Dicom.Network.Associations;
using TciaPacs.Dicom.Network.Pdus;

namespace TciaPacs.Dicom.Network.Client;

/// <summary>Opens associations as requestor (SCU): TCP with Nagle off (each DIMSE request otherwise waits for a delayed ACK), optionally TLS.</summary>
public static class DicomClient
{
    public static async Task<ClientAssociation> ConnectAsync(string host, int port, AssociateRequest request, AssociationOptions? options = null,
        IDimseRequestHandler? handler = null, ILogger? log = null, SslClientAuthenticationOptions? tls = null, CancellationToken cancellationToken = default)
    {
        options ??= new AssociationOptions();
        log ??= NullLogger.Instance;
        var client = new TcpClient { NoDelay = true };
        try
        {
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                timeout.CancelAfter(options.ArtimTimeout);
                await client.ConnectAsync(host, port, timeout.Token).ConfigureAwait(false);
            }
            Stream stream = client.GetStream();
            if (tls != null)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                await ssl.AuthenticateAsClientAsync(tls, cancellationToken).ConfigureAwait(false);
                stream = ssl;
            }
            request = request with { UserInformation = request.UserInformation with { MaxPduLength = options.MaxPduLength } };
            var association = await DicomAssociation.RequestAsync(new OwningStream(stream, client), $"{host}:{port}", request, options, log, cancellationToken).ConfigureAwait(false);
            return new ClientAssociation(association, handler, cancellationToken);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>Proposes <paramref name="abstractSyntax"/> with each transfer syntax in its own context, and all together in one, for the acceptor to choose from.</summary>
    public static List<PresentationContext> Propose(IEnumerable<(string AbstractSyntax, IReadOnlyList<string> TransferSyntaxes)> wanted)
    {
        var list = new List<PresentationContext>();
        byte id = 1;
        foreach (var (abstractSyntax, syntaxes) in wanted)
        {
            if (id > 253) throw new InvalidOperationException("more than 127 presentation contexts (PS3.8 9.3.2.2: odd IDs 1-255)");
            list.Add(new PresentationContext(id, abstractSyntax, syntaxes));
            id += 2;
        }
        return list;
    }
}

/// <summary>A stream that also disposes the TcpClient it came from.</summary>
internal sealed class OwningStream(Stream inner, IDisposable owner) : Stream
{
    public Stream Inner => inner;

    public override bool CanRead => inner.CanRead;
    public override bool CanSeek => false;
    public override bool CanWrite => inner.CanWrite;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() => inner.Flush();
    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);
    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
    public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.WriteAsync(buffer, offset, count, cancellationToken);
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
            owner.Dispose();
        }
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        owner.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
