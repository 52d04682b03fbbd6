using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace LatticeKV.Sync;

/// <summary>
/// Accepts sync connections on a TCP endpoint: each is authenticated (TLS 1.3, pinned peer ids,
/// Hello) and then handed to the handler, which owns the channel until it returns (the listener
/// closes it then). A client that fails the handshake or breaks the protocol costs its own
/// connection only: no exception escapes the listener; each failure is counted and reported to
/// the optional callback.
/// Thread safety: Start and StopAsync from one owner; the counters may be read from any thread.
/// </summary>
internal sealed class SyncListener : IAsyncDisposable
{
    // Constant after construction.
    private readonly SyncTransportSettings _settings;
    private readonly Func<SyncChannel, CancellationToken, Task> _handler;
    private readonly Action<Exception>? _onConnectionFailed;
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<int, Task> _connections = new();

    private Task? _acceptLoop;
    private int _nextConnection;
    private int _refused;
    private int _failed;
    private int _served;

    public SyncListener(IPEndPoint endpoint, SyncTransportSettings settings, Func<SyncChannel, CancellationToken, Task> handler,
        Action<Exception>? onConnectionFailed = null)
    {
        _settings = settings;
        _handler = handler;
        _onConnectionFailed = onConnectionFailed;
        _listener = new TcpListener(endpoint);
    }

    /// <summary>The bound endpoint (with the port the system chose when port 0 was asked for); valid after <see cref="Start"/>.</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)_listener.LocalEndpoint;

    public int Port => LocalEndPoint.Port;

    /// <summary>Connections refused or dropped before the handler got them (TLS, pin, Hello, timeout).</summary>
    public int RefusedConnections => Volatile.Read(ref _refused);

    /// <summary>Connections whose handler ended with an exception (a malformed frame, a broken connection).</summary>
    public int FailedConnections => Volatile.Read(ref _failed);

    /// <summary>Connections whose handler returned normally.</summary>
    public int ServedConnections => Volatile.Read(ref _served);

    /// <summary>Binds and starts accepting.</summary>
    /// <exception cref="SyncConnectionException">The endpoint cannot be bound.</exception>
    public void Start()
    {
        try { _listener.Start(); }
        catch (SocketException ex) { throw new SyncConnectionException($"Cannot listen for sync connections on {_listener.LocalEndpoint}: {ex.Message}", ex); }
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>Stops accepting, cancels the handlers and waits for every connection to close.</summary>
    public async Task StopAsync()
    {
        if (_stop.IsCancellationRequested) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        if (_acceptLoop is not null) await _acceptLoop.ConfigureAwait(false);
        await Task.WhenAll(_connections.Values).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try { socket = await _listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false); }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException) { return; }
            catch (SocketException) when (_stop.IsCancellationRequested) { return; }
            catch (SocketException ex)
            {
                // An aborted pending connection: the listener itself is fine.
                Report(ex, ref _refused);
                continue;
            }
            if (_connections.Count >= _settings.MaxConnections)
            {
                socket.Dispose();
                Report(new SyncConnectionException($"A sync connection was refused: {_settings.MaxConnections} are open already."), ref _refused);
                continue;
            }
            int id = Interlocked.Increment(ref _nextConnection);
            // Registered before it starts, so that its own removal always comes after.
            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _connections[id] = ServeAsync(id, socket, start.Task);
            start.SetResult();
        }
    }

    private async Task ServeAsync(int id, Socket socket, Task start)
    {
        await start.ConfigureAwait(false); // continues on the pool: the accept loop goes on while this connection handshakes
        try
        {
            SyncChannel channel;
            try
            {
                SyncSockets.Configure(socket); // may throw when the peer has already reset the connection
                channel = await SyncHandshake.RunAsync(new NetworkStream(socket, ownsSocket: true), _settings, accepting: true, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (!_stop.IsCancellationRequested)
            {
                Report(ex, ref _refused);
                return;
            }
            catch (Exception) { return; }
            await using (channel.ConfigureAwait(false))
            {
                try
                {
                    await _handler(channel, _stop.Token).ConfigureAwait(false);
                    Interlocked.Increment(ref _served);
                }
                catch (Exception ex) when (!_stop.IsCancellationRequested)
                {
                    Report(ex, ref _failed);
                }
                catch (Exception) { } // stopping: the handler was cancelled
            }
        }
        finally
        {
            socket.Dispose();
            _connections.TryRemove(id, out _);
        }
    }

    private void Report(Exception ex, ref int counter)
    {
        Interlocked.Increment(ref counter);
        try { _onConnectionFailed?.Invoke(ex); }
        catch (Exception) { } // an observer's failure must not take the listener down
    }
}
