using System.Runtime.InteropServices;

namespace TciaPacs.Server.Hosting;

/// <summary>A token cancelled on SIGTERM, SIGINT (Ctrl-C) or SIGQUIT, so that the process can finish what is in flight and exit cleanly.</summary>
internal sealed class ShutdownSignal : IDisposable
{
    private readonly CancellationTokenSource _cts = new();
    private readonly List<PosixSignalRegistration> _registrations = [];

    public ShutdownSignal()
    {
        foreach (var signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGQUIT })
        {
            _registrations.Add(PosixSignalRegistration.Create(signal, context =>
            {
                context.Cancel = true;
                Signal = context.Signal;
                _cts.Cancel();
            }));
        }
    }

    public CancellationToken Token => _cts.Token;

    public PosixSignal? Signal { get; private set; }

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
        _cts.Dispose();
    }
}
