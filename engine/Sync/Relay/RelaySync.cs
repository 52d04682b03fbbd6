using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using LatticeKV.Coding;
using LatticeKV.Replication;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace LatticeKV.Sync;

/// <summary>
/// Sync through a NATS JetStream stream (FORMAT.md §17.4). Publishing: this replica's log (its
/// own changes and those it relays), from the position the stream last acknowledged, in batches
/// sealed under the group key, each with a message id (replica and position) so a batch published
/// again after a crash is dropped by the stream's duplicate window; the position is kept as the
/// acknowledged cursor of a pseudo-peer, so the log keeps what the stream lacks. Consuming: every
/// message after the stream sequence stored with the data, applied like a direct peer's batch,
/// the new sequence in the same write (so a restart neither skips nor repeats). The NATS client
/// reconnects by itself; a broken loop is restarted with doubling delays.
/// </summary>
internal sealed class RelaySync : SyncService
{
    private const int BatchEntries = 512;
    // Keys and values per message: under nats-server's default payload limit (1 MiB).
    private const long BatchBytes = 512 << 10;
    private readonly LatticeDb _db;
    private readonly ReplicationLog _log;
    private readonly RelaySyncOptions _options;
    private readonly RelaySeal _seal;
    private readonly NatsConnection _nats;
    private readonly NatsJSContext _js;
    private readonly CancellationTokenSource _stop = new();
    private readonly Guid _relayPeer;
    private readonly byte[] _consumedKey;
    private readonly string _stream;
    private readonly string _subject;
    private Task _publisher = Task.CompletedTask, _consumer = Task.CompletedTask;

    private RelaySync(LatticeDb db, RelaySyncOptions options)
    {
        _db = db;
        _log = db.Replication;
        _options = options;
        _seal = new RelaySeal(options.GroupKey, options.Group);
        _nats = new NatsConnection(new NatsOpts { Url = options.Url, Name = "lkv-" + db.ReplicaId.ToString("N") });
        _js = new NatsJSContext(_nats);
        _stream = "LKV_" + options.Group;
        _subject = "lkv." + options.Group + ".changes";
        // The stream as a peer: what it acknowledged stays in the log until it has it.
        _relayPeer = new Guid(SHA256.HashData(Encoding.UTF8.GetBytes("lattice relay|" + options.Group)).AsSpan(0, 16));
        _consumedKey = Encoding.UTF8.GetBytes("relay/" + options.Group + "/consumed");
    }

    public static RelaySync Start(LatticeDb db, RelaySyncOptions options)
    {
        options.Validate();
        var relay = new RelaySync(db, options);
        relay._publisher = Task.Run(() => relay.RunLoopAsync(relay.PublishAsync));
        relay._consumer = Task.Run(() => relay.RunLoopAsync(relay.ConsumeAsync));
        return relay;
    }

    private async Task RunLoopAsync(Func<CancellationToken, Task> loop)
    {
        var delay = TimeSpan.FromMilliseconds(50);
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await EnsureStreamAsync(_stop.Token).ConfigureAwait(false);
                await loop(_stop.Token).ConfigureAwait(false);
                delay = TimeSpan.FromMilliseconds(50);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (Exception ex) when (ex is LatticeException or NatsException or TimeoutException or OperationCanceledException)
            {
                SyncRegistry.For(_db, _relayPeer).LastError = ex.Message;
            }
            try { await Task.Delay(delay, _stop.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
            delay = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(5).Ticks, delay.Ticks * 2));
        }
    }

    private async Task EnsureStreamAsync(CancellationToken ct)
    {
        var config = new StreamConfig(_stream, [_subject]) { Storage = StreamConfigStorage.File, DuplicateWindow = TimeSpan.FromMinutes(2) };
        await _js.CreateOrUpdateStreamAsync(config, ct).ConfigureAwait(false);
    }

    /// <summary>Publishes the log from the stream's acknowledged position on, then each new commit.</summary>
    private async Task PublishAsync(CancellationToken ct)
    {
        ulong cursor = _log.PeersAcknowledged().GetValueOrDefault(_relayPeer);
        var reader = new ChangeStreamReader(_log, cursor, _relayPeer, _log.PeerHas(_relayPeer));
        var changes = new List<RemoteChange>();
        var payload = new ByteWriter(64 << 10);
        var state = SyncRegistry.For(_db, _relayPeer);
        _log.Signal.Enter();
        state.SessionStarted();
        try
        {
            while (true)
            {
                var next = _log.Signal.Next;
                changes.Clear();
                if (!reader.Read(BatchEntries, changes, BatchBytes))
                {
                    await next.WaitAsync(ct).ConfigureAwait(false);
                    continue;
                }
                // What the stream already holds (consumed from it since the reader started) is not published again.
                var streamHas = _log.PeerHas(_relayPeer);
                changes.RemoveAll(c => streamHas[c.Origin] >= c.OriginSequence);
                if (changes.Count > 0)
                {
                    SyncMessages.EncodeChanges(payload, caughtUp: false, reader.Cursor, changes);
                    var headers = new NatsHeaders { ["Nats-Msg-Id"] = $"{_db.ReplicaId:N}-{reader.Cursor}" };
                    var ack = await _js.PublishAsync(_subject, _seal.Seal(_db.ReplicaId, payload.WrittenSpan), headers: headers, cancellationToken: ct).ConfigureAwait(false);
                    ack.EnsureSuccess();
                }
                state.Acknowledged(_log, _relayPeer, reader.Cursor, _db.Options.Clock.GetUtcNow());
            }
        }
        finally
        {
            state.SessionEnded(null);
            _log.Signal.Leave();
        }
    }

    /// <summary>Applies every message after the stream sequence stored with the data.</summary>
    private async Task ConsumeAsync(CancellationToken ct)
    {
        ulong consumed = Consumed();
        // Messages this replica never applied may be gone from the stream (its limits dropped them):
        // consuming on would skip them, so it stops and says so.
        var stream = await _js.GetStreamAsync(_stream, cancellationToken: ct).ConfigureAwait(false);
        ulong first = stream.Info.State.FirstSeq, last = stream.Info.State.LastSeq;
        if (first > consumed + 1 || last < consumed)
            throw new SyncConnectionException($"The relay stream {_stream} holds messages {first} to {last}, and this replica applied up to {consumed}: "
                + "messages it never applied were dropped (the stream's limits, or the stream was recreated). Resync from a direct peer (SyncWith), then start the relay again.");
        var opts = consumed == 0
            ? new NatsJSOrderedConsumerOpts { DeliverPolicy = ConsumerConfigDeliverPolicy.All }
            : new NatsJSOrderedConsumerOpts { DeliverPolicy = ConsumerConfigDeliverPolicy.ByStartSequence, OptStartSeq = consumed + 1 };
        var consumer = await _js.CreateOrderedConsumerAsync(_stream, opts, ct).ConfigureAwait(false);
        await foreach (var msg in consumer.ConsumeAsync<byte[]>(cancellationToken: ct).ConfigureAwait(false))
        {
            ulong sequence = msg.Metadata?.Sequence.Stream ?? throw new SyncProtocolException("a relay message without its stream sequence");
            if (sequence <= consumed) continue;
            byte[] data = msg.Data ?? [];
            var seq = new byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(seq, sequence);
            Guid publisher;
            SyncMessages.ChangeBatch batch;
            try
            {
                var plaintext = _seal.Open(data, out publisher);
                batch = SyncMessages.DecodeChanges(plaintext);
            }
            catch (SyncProtocolException ex)
            {
                // Not sealed under the group key (anyone who can publish to the subject), or not a
                // batch: every replica of the group skips it alike. Retrying it would stop this
                // replica's consumption for good.
                SyncRegistry.For(_db, _relayPeer).LastError = $"relay message {sequence} skipped: {ex.Message}";
                _log.Applier.Apply(_relayPeer, [], 0, sync: false, also: b => b.Put(_log.State!, _consumedKey, seq));
                consumed = sequence;
                continue;
            }
            // Our own batches come back too: only the position moves.
            var changes = publisher == _db.ReplicaId ? [] : batch.Changes;
            try
            {
                _log.Applier.Apply(_relayPeer, changes, 0, sync: false, also: b => b.Put(_log.State!, _consumedKey, seq));
            }
            catch (SyncProtocolException ex)
            {
                // A batch this replica refuses whole (one that would take its vectors past the most
                // origins it keeps): skipped like a malformed message, not retried for good.
                SyncRegistry.For(_db, _relayPeer).LastError = $"relay message {sequence} skipped: {ex.Message}";
                _log.Applier.Apply(_relayPeer, [], 0, sync: false, also: b => b.Put(_log.State!, _consumedKey, seq));
            }
            consumed = sequence;
        }
    }

    private ulong Consumed()
    {
        var value = _log.State is null ? null : _db.Get(_log.State, _consumedKey);
        return value is null ? 0 : ChangeStreamReader.ReadUInt64(value, "relay position");
    }

    public override async Task StopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_publisher, _consumer).ConfigureAwait(false);
        await _nats.DisposeAsync().ConfigureAwait(false);
        _seal.Dispose();
    }
}
