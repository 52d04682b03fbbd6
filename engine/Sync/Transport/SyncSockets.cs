using System.Net.Sockets;

namespace LatticeKV.Sync;

/// <summary>
/// Socket settings of every sync connection, both sides: no Nagle delay (frames are small and
/// answered one by one), and TCP keepalive probes, so that a peer whose host vanished or whose
/// link was cut is found even on a connection where nothing is sent (FORMAT.md §16.4).
/// </summary>
internal static class SyncSockets
{
    /// <summary>Seconds without traffic before the first keepalive probe.</summary>
    public const int KeepAliveIdleSeconds = 30;

    /// <summary>Seconds between unanswered probes.</summary>
    public const int KeepAliveIntervalSeconds = 10;

    /// <summary>Unanswered probes after which the system drops the connection.</summary>
    public const int KeepAliveProbes = 3;

    /// <summary>Applies the settings; may throw <see cref="SocketException"/> when the peer has already reset the connection.</summary>
    public static void Configure(Socket socket)
    {
        socket.NoDelay = true;
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, KeepAliveIdleSeconds);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, KeepAliveIntervalSeconds);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, KeepAliveProbes);
        }
        catch (PlatformNotSupportedException)
        {
            // A system without per-socket timings keeps its own (keepalive itself is on).
        }
    }
}
