using LatticeKV.Coding;
using LatticeKV.Replication;

namespace LatticeKV.Sync;

/// <summary>
/// One sync session over an authenticated channel (FORMAT.md §17): both sides pull from each
/// other at once. Each sends a Pull (its cursor into the other's log and its version vector);
/// each answers the other's Pull with Changes frames, in log order, at most
/// <see cref="Window"/> unacknowledged; the receiver applies each frame as a batch (data,
/// versions, relay records, version vector and cursor in one write) and acknowledges it. Without
/// follow, a frame marked caught-up ends each direction and the client closes once both are
/// done; with follow, new commits are pushed as they happen until the session is cancelled or
/// the connection breaks. A session resumes where the stored cursors say.
/// </summary>
internal sealed class SyncSession
{
    // Log entries per frame: a catch-up pays per frame a log iterator and a snapshot on the sender,
    // a write group, the state records and an Ack round trip on the receiver, so frames are large
    // enough for those to be small beside the changes. A receiver takes up to 2^20 (SyncMessages).
    private const int BatchEntries = 4096;
    // Keys and values per frame: well under the transport's payload limit, whatever the values' sizes.
    private const long BatchBytes = 4L << 20;
    private const int Window = 4;

    private readonly LatticeDb _db;
    private readonly ReplicationLog _log;
    private readonly SyncChannel _channel;
    private readonly bool _follow;
    private readonly bool _client;
    private readonly Guid _peer;
    private readonly SyncPeerState _state;
    private readonly SemaphoreSlim _window = new(Window, Window);
    private readonly TaskCompletionSource _pushDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // Set once this side told the peer its cursor is before this log: the peer's resync will carry this side's changes.
    private readonly TaskCompletionSource _resyncOffered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _resyncRequest;
    private readonly SnapshotStreamCheck _snapshotCheck = new();
    private ulong _caughtUpThrough = ulong.MaxValue;
    // The highest position this side's frames have carried (written by the sender before each
    // send), and the last Ack: an Ack may move the peer's cursor only up to what it was sent.
    private ulong _sentThrough;
    private ulong _ackedThrough;
    private bool _sentAny;
    private int _received, _sent, _conflicts, _quarantined;

    public SyncSession(LatticeDb db, SyncChannel channel, bool follow, bool client, SyncPeerState state)
    {
        _db = db;
        _log = db.Replication;
        _channel = channel;
        _follow = follow;
        _client = client;
        _peer = channel.RemoteHello!.ReplicaId;
        _state = state;
    }

    /// <summary>
    /// Checks, before anything about the peer is recorded, that the replica id its Hello claims may
    /// sync with this database under the identity its certificate proved: not this replica's own
    /// id, and bound to that identity (FORMAT.md §15, `peerid/`; bound here at the pair's first
    /// session). Refused, the channel gets an Error frame and is closed; nothing is kept under the
    /// claimed replica's name (its status, its cursor), so an impostor's refusal never shows as the
    /// genuine replica's error. A caller runs this before <see cref="SyncRegistry"/> and the session.
    /// </summary>
    /// <exception cref="SyncProtocolException">The peer is refused.</exception>
    public static async Task AdmitAsync(LatticeDb db, SyncChannel channel)
    {
        var peer = channel.RemoteHello!.ReplicaId;
        // Two replicas with one id would mix their changes as one origin's: a copy of this
        // database's directory made by hand (restores and checkpoints get their own id) must not sync with it.
        if (peer == db.ReplicaId)
        {
            await channel.CloseAsync().ConfigureAwait(false);
            throw new SyncProtocolException($"the peer presents this replica's own id {peer}: it is a copy of this database's directory, and copies of one replica must not sync with each other");
        }
        try
        {
            db.Replication.BindPeerIdentity(peer, channel.RemotePeerId);
        }
        catch (SyncProtocolException ex)
        {
            await TrySendErrorAsync(channel, channel.Version >= 2 ? SyncErrorCode.Refused : SyncErrorCode.Failed, ex.Message).ConfigureAwait(false);
            await channel.CloseAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The session with a peer <see cref="AdmitAsync"/> admitted.</summary>
    public async Task<SyncResult> RunAsync(CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        // Attestations first: the peer answers them before it reads this Pull, so its claims
        // arrive (and are judged) before any of its changes.
        var registered = SyncAttestors.Of(_db); // one reading: a ledger opened or closed meanwhile changes nothing of this session
        var attestors = _channel.Version >= 2 ? registered : [];
        // Attestors that accepted this peer's history before, and whose claim has not been judged in this session.
        var owed = new List<ISyncAttestor>();
        foreach (var attestor in registered)
            if (attestor.RefusalWithoutClaim(_peer) is { } refusal)
            {
                // A session below version 2 has no attestations: a peer once attested may not downgrade.
                if (_channel.Version < 2) await RefuseAsync(refusal).ConfigureAwait(false);
                owed.Add(attestor);
            }
        foreach (var attestor in attestors)
            await _channel.SendAsync(FrameType.Attestation, SyncMessages.EncodeAttestation(new(SyncMessages.AttestationStep.Seen, attestor.Name, attestor.Seen(_peer))), stop.Token).ConfigureAwait(false);
        var pull = new SyncMessages.Pull(_follow, _log.PeerCursor(_peer), _log.Applied);
        await _channel.SendAsync(FrameType.Pull, SyncMessages.EncodePull(pull), stop.Token).ConfigureAwait(false);
        Task? sender = null;
        bool pullDone = false, resyncPullSeen = false;
        try
        {
            while (true)
            {
                if (_client && !_follow && pullDone && _pushDone.Task.IsCompleted) break;
                var frame = await _channel.ReceiveAsync(stop.Token).ConfigureAwait(false);
                if (frame is null)
                {
                    if (_client && !_follow) throw new SyncConnectionException($"Peer {_peer} closed the sync session before it finished.");
                    break;
                }
                switch (frame.Type)
                {
                    // The sender that offered a resync ends just after its Resync frame, but the peer's resync Pull
                    // can arrive before it has (it was refused as unexpected): that one Pull waits for it.
                    case FrameType.Pull when sender is null || sender.IsCompleted || (_resyncOffered.Task.IsCompleted && !resyncPullSeen):
                        resyncPullSeen |= _resyncOffered.Task.IsCompleted;
                        if (sender is not null) await sender.ConfigureAwait(false);
                        var request = SyncMessages.DecodePull(frame.Payload);
                        _log.AddPeerHas(_peer, request.Has);
                        sender = Task.Run(async () =>
                        {
                            try
                            {
                                await SendAsync(request, stop.Token).ConfigureAwait(false);
                            }
                            catch
                            {
                                // A failed send ends the session now, not when the next frame arrives.
                                await stop.CancelAsync().ConfigureAwait(false);
                                throw;
                            }
                        }, stop.Token);
                        break;
                    case FrameType.Changes:
                        if (owed.Count > 0) throw new AttestationRefusal(owed[0].RefusalWithoutClaim(_peer)!);
                        var batch = SyncMessages.DecodeChanges(frame.Payload);
                        var result = _log.Applier.Apply(_peer, batch.Changes, batch.Through);
                        _received += result.Applied;
                        _conflicts += result.Conflicts;
                        _quarantined += result.Quarantined;
                        _state.Received(batch.Through, _db.Options.Clock.GetUtcNow());
                        await _channel.SendAsync(FrameType.Ack, SyncMessages.EncodeAck(batch.Through), stop.Token).ConfigureAwait(false);
                        if (batch.CaughtUp) pullDone = true;
                        break;
                    case FrameType.Resync when _resyncRequest is null:
                        SyncMessages.DecodeResync(frame.Payload);
                        // Changes after our cursor are gone from the peer's log: ask for a snapshot, once
                        // this side's own changes have reached the peer (so nothing unsent is replaced),
                        // or at once when the peer needs a snapshot from this side as well.
                        _resyncRequest = Task.Run(async () =>
                        {
                            await Task.WhenAny(_pushDone.Task, _resyncOffered.Task).WaitAsync(stop.Token).ConfigureAwait(false);
                            var resync = new SyncMessages.Pull(_follow, 0, _log.Applied, Resync: true);
                            await _channel.SendAsync(FrameType.Pull, SyncMessages.EncodePull(resync), stop.Token).ConfigureAwait(false);
                        }, stop.Token);
                        break;
                    // Only after this side asked for a resync: an unasked snapshot would move cursors and apply what no log sent.
                    case FrameType.Snapshot when _resyncRequest is not null:
                        if (owed.Count > 0) throw new AttestationRefusal(owed[0].RefusalWithoutClaim(_peer)!);
                        var (senderHas, part) = SyncMessages.DecodeSnapshot(frame.Payload);
                        _snapshotCheck.Accept(part);
                        var applied = _log.Applier.ApplySnapshot(_peer, part.Changes, part.CaughtUp, part.Through, senderHas);
                        _received += applied.Applied;
                        _conflicts += applied.Conflicts;
                        _quarantined += applied.Quarantined;
                        await _channel.SendAsync(FrameType.Ack, SyncMessages.EncodeAck(part.Through), stop.Token).ConfigureAwait(false);
                        break;
                    case FrameType.Ack:
                        ulong through = SyncMessages.DecodeAck(frame.Payload);
                        // Only this loop releases the window, so a full window means no frame awaits an Ack.
                        if (_window.CurrentCount >= Window) throw new SyncProtocolException("Ack frame with no Changes or Snapshot frame awaiting one");
                        // Acknowledged positions let this side drop changes from its log: none beyond what was sent, none going back.
                        if (!Volatile.Read(ref _sentAny) || through > Volatile.Read(ref _sentThrough) || through < _ackedThrough)
                            throw new SyncProtocolException($"Ack through {through}, outside what this side sent ({_ackedThrough} to {Volatile.Read(ref _sentThrough)})");
                        _ackedThrough = through;
                        _state.Acknowledged(_log, _peer, through, _db.Options.Clock.GetUtcNow());
                        _window.Release();
                        if (through >= Volatile.Read(ref _caughtUpThrough)) _pushDone.TrySetResult();
                        break;
                    case FrameType.Attestation when _channel.Version >= 2:
                        var step = SyncMessages.DecodeAttestation(frame.Payload);
                        await AttestAsync(attestors, step, stop.Token).ConfigureAwait(false);
                        // Judged (an empty claim is judged too, and refused by an attestor that requires one).
                        if (step.Step == SyncMessages.AttestationStep.Claim) owed.RemoveAll(a => a.Name == step.Name);
                        break;
                    case FrameType.Error:
                        var error = SyncError.Decode(frame.Payload);
                        throw new SyncConnectionException($"Peer {_peer} ended the sync session: {error.Code}: {error.Message}");
                    default:
                        throw new SyncProtocolException($"unexpected {frame.Type} frame");
                }
                if (sender is { IsFaulted: true }) await sender.ConfigureAwait(false);
                if (_resyncRequest is { IsFaulted: true }) await _resyncRequest.ConfigureAwait(false);
            }
        }
        catch (AttestationRefusal refusal)
        {
            await TrySendErrorAsync(SyncErrorCode.Refused, refusal.Reason.Message).ConfigureAwait(false);
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(refusal.Reason);
            throw;
        }
        catch (Exception ex) when (ex is ChangeLogTruncatedException or CorruptionException)
        {
            await TrySendErrorAsync(ex is ChangeLogTruncatedException ? SyncErrorCode.LogTruncated : SyncErrorCode.Failed, ex.Message).ConfigureAwait(false);
            throw;
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            if (sender is not null)
            {
                try { await sender.ConfigureAwait(false); }
                catch (OperationCanceledException) { }
                catch (Exception) when (ct.IsCancellationRequested || _pushDone.Task.IsCompleted) { }
            }
            await _channel.CloseAsync().ConfigureAwait(false);
        }
        return new SyncResult(_received, _sent, _conflicts, _quarantined);
    }

    /// <summary>
    /// One attestation step from the peer: its view of this side's history gets this side's
    /// claim in answer; its claim about its own history is judged, and a refusal ends the session
    /// (an Error frame with code Refused, then the attestor's exception to the caller). A step for
    /// an attestor this side does not have is answered with an empty claim, or ignored.
    /// </summary>
    private async Task AttestAsync(ISyncAttestor[] attestors, SyncMessages.Attestation step, CancellationToken ct)
    {
        var attestor = Array.Find(attestors, a => a.Name == step.Name);
        if (step.Step == SyncMessages.AttestationStep.Seen)
        {
            byte[] claim = attestor?.Claim(_peer, step.Body) ?? [];
            await _channel.SendAsync(FrameType.Attestation, SyncMessages.EncodeAttestation(new(SyncMessages.AttestationStep.Claim, step.Name, claim)), ct).ConfigureAwait(false);
            return;
        }
        if (attestor is null) return;
        try
        {
            attestor.Judge(_peer, step.Body);
        }
        catch (LatticeException ex)
        {
            throw new AttestationRefusal(ex);
        }
    }

    /// <summary>Ends a session below protocol version 2 that an attestor requires a claim in: it cannot carry one, nor the Refused code.</summary>
    private async Task RefuseAsync(LatticeException refusal)
    {
        await TrySendErrorAsync(SyncErrorCode.Failed, refusal.Message).ConfigureAwait(false);
        await _channel.CloseAsync().ConfigureAwait(false);
        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(refusal);
    }

    /// <summary>Carries an attestor's refusal out of the receive loop, so the session tells the peer before it rethrows the refusal itself.</summary>
    private sealed class AttestationRefusal(LatticeException reason) : Exception(reason.Message, reason)
    {
        public LatticeException Reason { get; } = reason;
    }

    /// <summary>Answers the peer's Pull: its log after the cursor, in batches, then (with follow) each new commit.</summary>
    private async Task SendAsync(SyncMessages.Pull request, CancellationToken ct)
    {
        var payload = new ByteWriter(64 << 10);
        ChangeStreamReader reader;
        if (request.Resync)
        {
            reader = await SendSnapshotAsync(request, payload, ct).ConfigureAwait(false);
        }
        else
        {
            try
            {
                reader = new ChangeStreamReader(_log, request.Cursor, _peer, request.Has);
            }
            catch (ChangeLogTruncatedException ex)
            {
                // The peer must start over from a snapshot; it asks for one with a new Pull.
                _resyncOffered.TrySetResult();
                await _channel.SendAsync(FrameType.Resync, SyncMessages.EncodeResync(ex.OldestPosition), ct).ConfigureAwait(false);
                return;
            }
        }
        // Changes are encoded as they are read, not held as objects until the frame is written.
        var encoder = new SyncMessages.ChangesEncoder();
        _log.Signal.Enter();
        try
        {
            bool caughtUpSent = false;
            while (true)
            {
                var next = _log.Signal.Next;
                encoder.Begin();
                bool moved = reader.Read(BatchEntries, encoder, BatchBytes);
                if (moved || !caughtUpSent)
                {
                    bool caughtUp = !moved;
                    await _window.WaitAsync(ct).ConfigureAwait(false);
                    encoder.Finish(payload, caughtUp, reader.Cursor);
                    // The channel copies the payload before the send completes, and the next frame is encoded only after it has.
                    if (caughtUp) Volatile.Write(ref _caughtUpThrough, reader.Cursor);
                    Sent(reader.Cursor);
                    await _channel.SendAsync(FrameType.Changes, payload.WrittenMemory, ct).ConfigureAwait(false);
                    _sent += encoder.Count;
                    caughtUpSent |= caughtUp;
                    continue;
                }
                if (!_follow) return;
                await next.WaitAsync(ct).ConfigureAwait(false);
            }
        }
        finally
        {
            _log.Signal.Leave();
        }
    }

    /// <summary>A full resync: every replicated key's current version at one snapshot, then the log from the snapshot on.</summary>
    private async Task<ChangeStreamReader> SendSnapshotAsync(SyncMessages.Pull request, ByteWriter payload, CancellationToken ct)
    {
        var changes = new List<RemoteChange>();
        using var snapshot = new SnapshotReader(_log);
        bool more;
        do
        {
            changes.Clear();
            more = snapshot.Read(BatchEntries, changes, BatchBytes);
            await _window.WaitAsync(ct).ConfigureAwait(false);
            SyncMessages.EncodeSnapshot(payload, snapshot.Has, complete: !more, snapshot.Position, changes);
            Sent(snapshot.Position);
            await _channel.SendAsync(FrameType.Snapshot, payload.WrittenMemory, ct).ConfigureAwait(false);
            _sent += changes.Count;
        }
        while (more);
        var has = snapshot.Has.Clone();
        has.MergeFrom(request.Has);
        return new ChangeStreamReader(_log, snapshot.Position, _peer, has);
    }

    /// <summary>Records that a frame through <paramref name="through"/> is about to leave (before the send, so that its Ack always finds it).</summary>
    private void Sent(ulong through)
    {
        if (through > Volatile.Read(ref _sentThrough)) Volatile.Write(ref _sentThrough, through);
        Volatile.Write(ref _sentAny, true);
    }

    private Task TrySendErrorAsync(SyncErrorCode code, string message) => TrySendErrorAsync(_channel, code, message);

    private static async Task TrySendErrorAsync(SyncChannel channel, SyncErrorCode code, string message)
    {
        try
        {
            await channel.SendAsync(FrameType.Error, new SyncError(code, message).Encode(), CancellationToken.None).ConfigureAwait(false);
        }
        catch (LatticeException)
        {
            // The connection is already gone: the error stays local.
        }
    }
}
