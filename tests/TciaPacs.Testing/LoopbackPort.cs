using System.Net;
using System.Net.Sockets;

namespace TciaPacs.Testing;

/// <summary>A loopback TCP port free at the time of asking, for a server a test starts.</summary>
public static class LoopbackPort
{
    public static int Free()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
