using System.Buffers;
using System.IO.Pipelines;
using System.Security.Authentication;

namespace LatticeKV.Sync;

/// <summary>
/// An authenticated sync connection: frames (<see cref="FrameCodec"/>) over a TLS stream through
/// System.IO.Pipelines. Made by <see cref="SyncConnector"/> or handed out by <see cref="SyncListener"/>
/// once TLS and the Hello exchange succeeded.
/// <para>
/// A malformed frame throws <see cref="SyncProtocolException"/>, a broken or tampered connection
/// <see cref="SyncConnectionException"/>; either way the channel is closed and stays closed.
/// A cancelled send or receive closes the channel too.
/// Thread safety: sends may come from several threads (they are serialised); one reader at a time.
/// </para>
/// </summary>
internal sealed class SyncChannel : IAsyncDisposable
{
    /// <summary>Payloads shorter than this are sent as they are: Snappy would not save enough to pay for itself.</summary>
    private const int MinCompressLength = 64;

    // Constant after construction.
    private readonly Stream _stream;
    private readonly PipeReader _reader;
    private readonly PipeWriter _writer;
    private readonly SemaphoreSlim _sendLock = new(1, 1);

    // Guarded by _sendLock. A pool rental because MaybeCompress grows it through the pool; it is
    // left to the collector when the channel closes, as a send may still hold it then.
    private byte[] _scratch = ArrayPool<byte>.Shared.Rent(4096);

    private int _closed;

    // Liveness (protocol version 3 heartbeats, or a one-round session's wait): set before the first
    // receive. _lastSend is a Stopwatch timestamp written by every send.
    private TimeSpan? _idleTimeout;
    private readonly CancellationTokenSource _heartbeatStop = new();
    private long _lastSend;
    private int _pingsReceived;
    private volatile string? _closeReason; // why this side closed the connection, when it did so on its own

    internal SyncChannel(Stream stream, string remotePeerId)
    {
        _stream = stream;
        RemotePeerId = remotePeerId;
        _reader = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
        _writer = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
    }

    /// <summary>The peer id of the certificate the other side authenticated with.</summary>
    public string RemotePeerId { get; }

    /// <summary>What this side sent in Hello; set by the handshake.</summary>
    public SyncHello? LocalHello { get; internal set; }

    /// <summary>What the other side sent in Hello; set by the handshake.</summary>
    public SyncHello? RemoteHello { get; internal set; }

    /// <summary>The protocol version both sides speak; set by the handshake.</summary>
    public ushort Version { get; internal set; }

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>
    /// How long the peer may send nothing while part of a frame has arrived: a peer that starts a
    /// frame and stalls would otherwise hold the session (and its buffer) for good. Progress
    /// restarts it, so a slow link is not cut; a session idle between frames is not limited.
    /// </summary>
    internal TimeSpan FrameStallTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long the peer may send nothing at all before the connection counts as dead
    /// (<see cref="SyncConnectionException"/>); null: no limit (a session idle between frames
    /// waits for good, and only TCP keepalive finds a peer that is gone).
    /// </summary>
    internal TimeSpan? IdleTimeout
    {
        get => _idleTimeout;
        set => _idleTimeout = value == Timeout.InfiniteTimeSpan ? null : value;
    }

    /// <summary>
    /// Whether a Ping restarts <see cref="IdleTimeout"/> (true, the default: a following session
    /// may have nothing to say). A one-round session sets it false: it waits for the peer's answer,
    /// and a peer whose heartbeats go on while its session is stuck must not hold it for good.
    /// </summary>
    internal bool PingsAreActivity { get; set; } = true;

    /// <summary>Ping frames received (consumed by <see cref="ReceiveAsync"/> from protocol version 3).</summary>
    internal int PingsReceived => Volatile.Read(ref _pingsReceived);

    /// <summary>The TCP stream under TLS, which tells how long a write has been stuck; set by the handshake.</summary>
    internal ProgressStream? Transport { get; init; }

    /// <summary>
    /// Checks the connection every <paramref name="interval"/> until it closes. With
    /// <paramref name="sendPings"/> (protocol version 3) it sends a Ping whenever this side sent
    /// nothing for half an interval, and expects the peer to do the same (ReceiveAsync's
    /// <paramref name="idleTimeout"/>; Pings received are consumed there and never reach the
    /// caller). Either way it closes the connection when a write to the peer has made no progress
    /// for the idle timeout: a peer that stopped reading would otherwise hold this side's sends,
    /// and a receive loop waiting to send, for good.
    /// </summary>
    internal void StartLiveness(TimeSpan interval, TimeSpan idleTimeout, bool sendPings)
    {
        IdleTimeout = idleTimeout;
        Volatile.Write(ref _lastSend, System.Diagnostics.Stopwatch.GetTimestamp());
        _ = LivenessAsync(interval, sendPings, _heartbeatStop.Token);
    }

    private async Task LivenessAsync(TimeSpan interval, bool sendPings, CancellationToken ct)
    {
        try
        {
            using var timer = new PeriodicTimer(interval);
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                if (_idleTimeout is { } idle && Transport?.WriteStalledFor > idle)
                {
                    _closeReason = $"Sync peer {RemotePeerId} took nothing of what this side sent for {idle.TotalSeconds:0.###} s: it stopped or cannot be reached.";
                    await CloseAsync().ConfigureAwait(false);
                    return;
                }
                if (!sendPings || System.Diagnostics.Stopwatch.GetElapsedTime(Volatile.Read(ref _lastSend)) < interval / 2) continue;
                _ = TrySendPingAsync(ct);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or LatticeException)
        {
            // The channel closed (or broke, which the receiving side reports): nothing more to keep alive.
        }
    }

    private static readonly byte[] s_ping = [SyncPing.Format];

    /// <summary>Sends one frame, Snappy-compressed when that saves at least an eighth.</summary>
    /// <exception cref="InvalidArgumentException">The payload is over <see cref="FrameCodec.MaxPayloadLength"/>.</exception>
    /// <exception cref="SyncConnectionException">The connection is closed or broke.</exception>
    public async Task SendAsync(FrameType type, ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        if (payload.Length > FrameCodec.MaxPayloadLength)
            throw new InvalidArgumentException($"A sync frame payload is at most {FrameCodec.MaxPayloadLength} bytes; this one is {payload.Length}.", nameof(payload));
        await _sendLock.WaitAsync(ct).ConfigureAwait(false);
        await SendLockedAsync(type, payload, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends a Ping unless another send holds the connection (which says as much, or is stuck, for
    /// the liveness check to find). Not awaited by that check, which must keep its turn even when
    /// this Ping's own write gets stuck; a failure is the connection's, and its users see it.
    /// </summary>
    private async Task TrySendPingAsync(CancellationToken ct)
    {
        if (!_sendLock.Wait(0, CancellationToken.None)) return;
        try { await SendLockedAsync(FrameType.Ping, s_ping, ct).ConfigureAwait(false); }
        catch (Exception ex) when (ex is OperationCanceledException or LatticeException) { }
    }

    /// <summary>The send itself, with <see cref="_sendLock"/> held; releases it.</summary>
    private async Task SendLockedAsync(FrameType type, ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        try
        {
            if (IsClosed) throw new SyncConnectionException(_closeReason ?? $"The sync connection to peer {RemotePeerId} is closed.");
            Encode(type, payload.Span);
            var flush = await _writer.FlushAsync(ct).ConfigureAwait(false);
            Volatile.Write(ref _lastSend, System.Diagnostics.Stopwatch.GetTimestamp());
            if (flush.IsCompleted) throw new SyncConnectionException(_closeReason ?? $"The sync connection to peer {RemotePeerId} is closed.");
        }
        catch (OperationCanceledException)
        {
            // Part of a frame may have left: what follows could not be framed, so the channel goes.
            await CloseCoreAsync(holdingSendLock: true).ConfigureAwait(false);
            throw;
        }
        catch (Exception ex) when (IsTransportFailure(ex))
        {
            await CloseCoreAsync(holdingSendLock: true).ConfigureAwait(false);
            throw new SyncConnectionException(_closeReason ?? $"The sync connection to peer {RemotePeerId} broke while sending.", ex);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>
    /// Receives the next frame, or null when the other side closed the connection at a frame
    /// boundary. From protocol version 3, Ping frames are consumed here and never returned.
    /// </summary>
    /// <exception cref="SyncProtocolException">The peer sent a malformed frame or cut the stream inside one; the channel is closed.</exception>
    /// <exception cref="SyncConnectionException">The connection broke or failed TLS record checks, or the peer was silent past <see cref="IdleTimeout"/>; the channel is closed.</exception>
    public async Task<SyncFrame?> ReceiveAsync(CancellationToken ct)
    {
        if (IsClosed) throw new SyncConnectionException(_closeReason ?? $"The sync connection to peer {RemotePeerId} is closed.");
        CancellationTokenSource? limit = null;
        try
        {
            bool partial = false;
            // When pings are not activity, the idle limit runs from this call however many arrive.
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            while (true)
            {
                ReadResult result;
                TimeSpan? wait = partial ? FrameStallTimeout : _idleTimeout;
                if (!partial && wait is { } idle && !PingsAreActivity)
                    wait = TimeSpan.FromTicks(Math.Max(0, (idle - System.Diagnostics.Stopwatch.GetElapsedTime(started)).Ticks));
                if (wait is null) result = await _reader.ReadAsync(ct).ConfigureAwait(false);
                else
                {
                    // A new timeout for every read: only a peer that sends nothing at all for that long is cut.
                    limit?.Dispose();
                    limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    limit.CancelAfter(wait.Value);
                    try { result = await _reader.ReadAsync(limit.Token).ConfigureAwait(false); }
                    catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                    {
                        if (partial) throw new SyncProtocolException($"the peer sent part of a frame and then nothing for {wait.Value.TotalSeconds:0.###} s");
                        if (!PingsAreActivity) throw new SyncConnectionException($"Sync peer {RemotePeerId} sent no sync frame for {_idleTimeout!.Value.TotalSeconds:0.###} s: it stopped, cannot be reached, or does not answer.");
                        throw new SyncConnectionException($"Sync peer {RemotePeerId} sent nothing for {wait.Value.TotalSeconds:0.###} s: it stopped or cannot be reached.");
                    }
                }
                var buffer = result.Buffer;
                bool got = FrameCodec.TryDecode(ref buffer, out var frame);
                _reader.AdvanceTo(buffer.Start, got ? buffer.Start : buffer.End);
                if (got && frame is not null)
                {
                    // Before version 3 a Ping is an unexpected frame, for the caller to refuse.
                    if (frame.Type != FrameType.Ping || Version < SyncProtocolVersions.Heartbeat) return frame;
                    SyncPing.Check(frame.Payload);
                    Interlocked.Increment(ref _pingsReceived);
                    partial = false;
                    continue;
                }
                if (result.IsCompleted)
                {
                    if (buffer.IsEmpty) return null;
                    throw new SyncProtocolException($"the stream ended inside a frame ({buffer.Length} bytes of it received)");
                }
                partial = !buffer.IsEmpty;
            }
        }
        catch (Exception ex) when (ex is SyncProtocolException or SyncConnectionException or OperationCanceledException)
        {
            // A cancelled TLS read leaves the stream in an unknown state: the channel goes with it.
            await CloseAsync().ConfigureAwait(false);
            throw;
        }
        catch (Exception ex) when (IsTransportFailure(ex))
        {
            await CloseAsync().ConfigureAwait(false);
            throw new SyncConnectionException(_closeReason ?? $"The sync connection to peer {RemotePeerId} broke while receiving.", ex);
        }
        finally
        {
            limit?.Dispose();
        }
    }

    /// <summary>Closes the connection; safe to call more than once and from any thread.</summary>
    public ValueTask CloseAsync() => CloseCoreAsync(holdingSendLock: false);

    // How long a close waits for a send in progress to let go of the writer (the stream is gone by
    // then, so the send fails at once); past it the writer is completed anyway rather than hang.
    private static readonly TimeSpan CloseSendWait = TimeSpan.FromSeconds(5);

    private async ValueTask CloseCoreAsync(bool holdingSendLock)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        _heartbeatStop.Cancel();
        // The connection goes first: a send that was cancelled (or failed) can leave part of a frame
        // buffered in the writer, and completing the writer would write it again without a token,
        // blocking for good on a peer that stopped reading. Every send flushes before it returns,
        // so nothing whole is lost. What the writer and reader then meet is a closed stream, and
        // a close from the receiving side can meet a send still flushing on another task (TLS
        // refuses the second write: NotSupportedException); none of that matters to a closing connection.
        try { await _stream.DisposeAsync().ConfigureAwait(false); }
        catch (Exception ex) when (IsClosingFailure(ex)) { }
        try { await _reader.CompleteAsync().ConfigureAwait(false); }
        catch (Exception ex) when (IsClosingFailure(ex)) { }
        // A send on another task may be between its closed check and its flush, inside the
        // writer's buffers: the writer is completed only once that send has let go of it.
        bool locked = !holdingSendLock && await _sendLock.WaitAsync(CloseSendWait).ConfigureAwait(false);
        try { await _writer.CompleteAsync(s_closed).ConfigureAwait(false); }
        catch (Exception ex) when (IsClosingFailure(ex)) { }
        finally
        {
            if (locked) _sendLock.Release();
        }
    }

    public ValueTask DisposeAsync() => CloseAsync();

    // Completes the writer as failed, so that it writes nothing more to the closed stream.
    private static readonly IOException s_closed = new("The sync connection is closed.");

    private void Encode(FrameType type, ReadOnlySpan<byte> payload)
    {
        var stored = Sst.BlockTrailer.MaybeCompress(payload, payload.Length >= MinCompressLength ? CompressionType.Snappy : CompressionType.None,
            ref _scratch, out byte compression);
        var flags = compression == (byte)CompressionType.Snappy ? FrameFlags.Snappy : FrameFlags.None;
        // Header and payload in one span so that a small frame leaves in one write (one TLS record).
        var span = _writer.GetSpan(FrameCodec.HeaderSize + stored.Length);
        if (span.Length >= FrameCodec.HeaderSize + stored.Length)
        {
            FrameCodec.WriteHeader(span, type, flags, stored);
            stored.CopyTo(span[FrameCodec.HeaderSize..]);
            _writer.Advance(FrameCodec.HeaderSize + stored.Length);
            return;
        }
        Span<byte> header = stackalloc byte[FrameCodec.HeaderSize];
        FrameCodec.WriteHeader(header, type, flags, stored);
        _writer.Write(header);
        _writer.Write(stored);
    }

    private static bool IsTransportFailure(Exception ex)
        => ex is IOException or AuthenticationException or ObjectDisposedException or InvalidOperationException;

    private static bool IsClosingFailure(Exception ex) => IsTransportFailure(ex) || ex is NotSupportedException;
}
