using System.Collections.Concurrent;
using System.Net;
using System.Threading.Channels;
using LatticeKV.Sync;

namespace LatticeKV.Tests.Sync.Transport;

/// <summary>Two identities that trust each other, and a third nobody trusts, for the transport tests.</summary>
internal sealed class TrustedPair : IDisposable
{
    public SyncIdentity Server { get; } = SyncIdentity.Create("server");
    public SyncIdentity Client { get; } = SyncIdentity.Create("client");
    public SyncIdentity Stranger { get; } = SyncIdentity.Create("stranger");
    public Guid ServerReplica { get; } = Guid.NewGuid();
    public Guid ClientReplica { get; } = Guid.NewGuid();

    public SyncTransportSettings ServerSettings(SyncIdentity? identity = null, params string[] trusted)
        => new(identity ?? Server, trusted.Length > 0 ? trusted : [Client.PeerId], ServerReplica) { HandshakeTimeout = TimeSpan.FromSeconds(5) };

    public SyncTransportSettings ClientSettings(SyncIdentity? identity = null, params string[] trusted)
        => new(identity ?? Client, trusted.Length > 0 ? trusted : [Server.PeerId], ClientReplica) { HandshakeTimeout = TimeSpan.FromSeconds(5) };

    public void Dispose()
    {
        Server.Dispose();
        Client.Dispose();
        Stranger.Dispose();
    }
}

/// <summary>
/// A <see cref="SyncListener"/> on loopback port 0 whose handler records every frame it receives
/// (and echoes it when asked), and which reports handler invocations and connection failures
/// through channels the tests await with a timeout (no sleeps).
/// </summary>
internal sealed class RecordingServer : IAsyncDisposable
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private readonly Channel<SyncChannel> _invoked = Channel.CreateUnbounded<SyncChannel>();
    private readonly Channel<SyncFrame> _frames = Channel.CreateUnbounded<SyncFrame>();
    private readonly Channel<Exception> _failures = Channel.CreateUnbounded<Exception>();
    private readonly Channel<bool> _handlerEnded = Channel.CreateUnbounded<bool>();

    public RecordingServer(SyncTransportSettings settings, bool echo = false)
    {
        Listener = new SyncListener(new IPEndPoint(IPAddress.Loopback, 0), settings, async (channel, ct) =>
        {
            Interlocked.Increment(ref _invocations);
            _invoked.Writer.TryWrite(channel);
            try
            {
                while (await channel.ReceiveAsync(ct) is { } frame)
                {
                    Received.Enqueue(frame);
                    _frames.Writer.TryWrite(frame);
                    if (echo) await channel.SendAsync(frame.Type, frame.Payload, ct);
                }
            }
            finally
            {
                _handlerEnded.Writer.TryWrite(true);
            }
        }, ex => _failures.Writer.TryWrite(ex));
        Listener.Start();
    }

    public SyncListener Listener { get; }

    public int Port => Listener.Port;

    public IPEndPoint EndPoint => new(IPAddress.Loopback, Port);

    /// <summary>Every frame any handler received, in order of arrival.</summary>
    public ConcurrentQueue<SyncFrame> Received { get; } = new();

    /// <summary>Handler invocations: the channels of authenticated connections.</summary>
    public int Invocations => Volatile.Read(ref _invocations);

    private int _invocations;

    public async Task<SyncChannel> NextInvocation() => await _invoked.Reader.ReadAsync().AsTask().WaitAsync(Wait);

    public async Task<SyncFrame> NextFrame() => await _frames.Reader.ReadAsync().AsTask().WaitAsync(Wait);

    public async Task<Exception> NextFailure() => await _failures.Reader.ReadAsync().AsTask().WaitAsync(Wait);

    public async Task HandlerEnded() => await _handlerEnded.Reader.ReadAsync().AsTask().WaitAsync(Wait);

    public ValueTask DisposeAsync() => Listener.DisposeAsync();
}
