using System.Buffers;
using System.Buffers.Binary;
using LatticeKV.Coding;
using LatticeKV.Db;

namespace LatticeKV.Replication;

/// <summary>
/// Applies a peer's changes (FORMAT.md §15.4): skips what this replica already has (by origin
/// and origin sequence against its version vector), judges each change against the key's version
/// (a change that had seen it applies; a concurrent one goes to the family's
/// <see cref="ConflictResolver"/>, and the resolution is recorded), and writes, as one batch,
/// the data, the keys' new versions, each change as a relay record in this replica's own log
/// (with its causal context, so it reaches the others), the new version vector and the peer's
/// cursor. A commit check makes sure no write to those keys landed between the judgement and
/// the commit; if one did, the batch is judged again.
/// </summary>
/// <remarks>One batch at a time per database (<see cref="_lock"/>); local writes run alongside.</remarks>
internal sealed class RemoteChangeApplier(ReplicationLog log)
{
    // Judgements made stale by local writes before the apply holds those writes back (LocalWriteGate).
    private const int OptimisticAttempts = 8;

    private readonly Lock _lock = new();

    // The plan being made (under _lock): its data writes, kept only when integrity rules act on them, and the change being judged.
    private List<AppliedWrite>? _written;
    private Dot _judging;

    /// <summary>Outcome counts of one <see cref="Apply"/>.</summary>
    internal readonly record struct Result(int Applied, int Duplicates, int Conflicts, int Quarantined = 0);

    /// <summary>
    /// Applies <paramref name="changes"/> (in the peer's log order) and records that this replica
    /// has the peer's log through <paramref name="peerCursor"/>. Changes are judged against what
    /// is stored, so a run with a key twice is written in parts, each with the cursor of its last
    /// change: every part is atomic and a crash between parts resumes after the last one.
    /// </summary>
    /// <param name="peer">The replica the changes came from (its cursor and what it holds are kept).</param>
    /// <param name="changes">The changes, in the peer's log order.</param>
    /// <param name="peerCursor">The position in the peer's log they run through.</param>
    /// <param name="sync">Whether each write is synced.</param>
    /// <param name="also">Adds to the last part's batch what must be written with it (a relay's stream position).</param>
    public Result Apply(Guid peer, IReadOnlyList<RemoteChange> changes, ulong peerCursor, bool sync = false, Action<WriteBatch>? also = null)
        => ApplyRun(peer, changes, peerCursor, snapshot: false, snapshotHas: null, sync, also);

    /// <summary>
    /// Applies part of a peer's snapshot (a full resync): its keys' versions, judged like
    /// changes. The peer's cursor moves only with the last part (<paramref name="complete"/>),
    /// which also raises this replica's version vector to the snapshot's: the state received
    /// covers all of it. A resync interrupted before then starts again.
    /// </summary>
    public Result ApplySnapshot(Guid peer, IReadOnlyList<RemoteChange> changes, bool complete, ulong snapshotPosition, VersionVector snapshotHas)
        => ApplyRun(peer, changes, complete ? snapshotPosition : log.PeerCursor(peer), snapshot: true, complete ? snapshotHas : null, sync: false, also: null);

    private Result ApplyRun(Guid peer, IReadOnlyList<RemoteChange> changes, ulong peerCursor, bool snapshot, VersionVector? snapshotHas, bool sync, Action<WriteBatch>? also)
    {
        long started = log.Db.Metrics.Start();
        var result = ApplyRunLocked(peer, changes, peerCursor, snapshot, snapshotHas, sync, also);
        log.Db.StopTimer(started, OperationKind.SyncApply, null, default);
        return result;
    }

    private Result ApplyRunLocked(Guid peer, IReadOnlyList<RemoteChange> changes, ulong peerCursor, bool snapshot, VersionVector? snapshotHas, bool sync, Action<WriteBatch>? also)
    {
        lock (_lock)
        {
            var total = new Result(0, 0, 0);
            var part = new List<RemoteChange>();
            var keys = new HashSet<(string, byte[])>(new FamilyKeyEquality());
            for (int i = 0; i <= changes.Count; i++)
            {
                if (i < changes.Count && keys.Add((changes[i].ColumnFamily, changes[i].Key)))
                {
                    part.Add(changes[i]);
                    continue;
                }
                if (part.Count > 0 || i == changes.Count)
                {
                    bool last = i == changes.Count;
                    // A log's parts move the cursor to their last change; a snapshot's only when it is complete.
                    ulong cursor = last ? peerCursor : snapshot ? log.PeerCursor(peer) : part[^1].SourcePosition;
                    var r = ApplyPart(peer, part, cursor, snapshot, last ? snapshotHas : null, sync, last ? also : null);
                    total = new Result(total.Applied + r.Applied, total.Duplicates + r.Duplicates, total.Conflicts + r.Conflicts, total.Quarantined + r.Quarantined);
                }
                part.Clear();
                keys.Clear();
                if (i < changes.Count)
                {
                    part.Add(changes[i]);
                    keys.Add((changes[i].ColumnFamily, changes[i].Key));
                }
            }
            return total;
        }
    }

    private Result ApplyPart(Guid peer, List<RemoteChange> changes, ulong peerCursor, bool snapshot, VersionVector? snapshotHas, bool sync, Action<WriteBatch>? also)
    {
        for (int attempt = 0; ; attempt++)
        {
            // Optimistic first; an apply that keeps losing to local writes holds them back for its last try.
            bool holding = attempt == OptimisticAttempts;
            if (holding) HoldLocalWrites();
            try
            {
                var plan = Plan(peer, changes, peerCursor, snapshot, snapshotHas);
                also?.Invoke(plan.Batch);
                try
                {
                    log.Db.WriteChecked(plan.Batch, new WriteOptions { Sync = sync }, plan.Check);
                }
                catch (VersionsChangedException) when (attempt < OptimisticAttempts)
                {
                    continue; // a local write to one of the keys landed meanwhile: judge again
                }
                log.SetApplied(plan.Applied);
                return plan.Result;
            }
            finally
            {
                if (holding) log.LocalWrites.Release();
            }
        }
    }

    /// <summary>
    /// Holds local writes back and waits until none prepared before the hold can still land:
    /// those not yet led are prepared again (and wait at the gate), those led are written.
    /// </summary>
    private void HoldLocalWrites()
    {
        log.LocalWrites.Hold();
        try
        {
            log.Db.ChangeWriteStages();
            log.Db.WaitForQueuedWrites();
        }
        catch
        {
            log.LocalWrites.Release();
            throw;
        }
    }

    private sealed class FamilyKeyEquality : IEqualityComparer<(string Family, byte[] Key)>
    {
        public bool Equals((string Family, byte[] Key) x, (string Family, byte[] Key) y) => x.Family == y.Family && x.Key.AsSpan().SequenceEqual(y.Key);

        public int GetHashCode((string Family, byte[] Key) obj) => HashCode.Combine(obj.Family, Keys.KeyBytesEquality.Instance.GetHashCode(obj.Key));
    }

    private sealed class ApplyPlan(WriteBatch batch, VersionsUnchangedCheck check, VersionVector applied, Result result)
    {
        public WriteBatch Batch => batch;
        public VersionsUnchangedCheck Check => check;
        public VersionVector Applied => applied;
        public Result Result => result;
    }

    private ApplyPlan Plan(Guid peer, IReadOnlyList<RemoteChange> changes, ulong peerCursor, bool snapshot, VersionVector? snapshotHas)
    {
        var db = log.Db;
        var batch = new WriteBatch(BatchCapacity(changes)) { FromPeer = true };
        var check = new VersionsUnchangedCheck(log);
        var applied = log.Applied.Clone();
        var versionKey = new ByteWriter(64);
        var ownOperands = snapshot ? OwnOperandsAfter(SnapshotSaw(changes)) : null;
        var peerHas = log.PeerHas(peer);
        foreach (var c in changes) peerHas.Observe(c.Origin, c.OriginSequence);
        var record = new ByteWriter(256);
        int appliedCount = 0, duplicates = 0, conflicts = 0, quarantined = 0;
        var rules = log.Rules;
        _written = rules is { ActsAfterApply: true } ? [] : null;
        string? familyName = null;
        ColumnFamilyHandle? family = null;
        foreach (var c in changes)
        {
            // A log's change this replica has is skipped. A snapshot's entry is a key's whole state
            // (a merged value may hold operands of several origins, this one's too): it is judged.
            if (!snapshot && (c.Origin == log.ReplicaId || applied[c.Origin] >= c.OriginSequence))
            {
                duplicates++;
                continue;
            }
            // A snapshot's entry is one key's last version, not a prefix of its origin's changes: only the complete snapshot raises the vector.
            if (!snapshot) applied.Observe(c.Origin, c.OriginSequence);
            log.Clock.Observe(c.Timestamp);
            // Changes mostly come in runs of one family: it is looked up once per run.
            if (c.ColumnFamily != familyName)
            {
                familyName = c.ColumnFamily;
                family = db.TryGetFamilyAnyName(familyName, out var found) && found.Data.Options.Replicated ? found : null;
            }
            if (family is null)
            {
                Audit(batch, ConflictOutcome.FamilyMissing, "-", c.ColumnFamily, c.Key, c.Dot, default, c.Value);
                conflicts++;
                continue;
            }
            ReplicationStage.VersionKey(versionKey, family.Id, c.Key);
            byte[] vkey = versionKey.WrittenSpan.ToArray();
            var current = db.Get(log.Versions!, vkey);
            if (current is not null) VersionRecord.Checked(current);
            check.Expect(vkey, current);
            _judging = c.Dot;
            var newVersion = Judge(batch, peer, family, c, current, ref conflicts, ref quarantined);
            // A snapshot value that replaced this replica's had not seen its latest operands (made
            // while the resync ran): they go on top again, as they will at the peer when it gets them.
            if (snapshot && newVersion is not null && ownOperands is not null && ownOperands.TryGetValue((family.Id, c.Key), out var operands))
                foreach (var operand in operands) batch.Merge(family, c.Key, operand);
            if (newVersion is not null)
            {
                batch.Put(log.Versions!, vkey, newVersion);
            }
            appliedCount++;
            record.Clear();
            ChangeRecord.EncodeRelayed(record, c, family.Id);
            batch.AddChecked(Keys.ValueKind.Value, log.ChangesId, ReplicationStage.PositionPlaceholder, record.WrittenSpan);
        }
        // What the peer's changes did may break a rule only the whole part shows (a parent deleted
        // under children here, a child whose parent is gone): the rules act in the same batch.
        if (_written is { Count: > 0 }) rules!.Complete(new RemoteApplyContext(log, batch, check, _written));
        _written = null;
        if (snapshotHas is not null)
        {
            // A complete snapshot: the state now here had seen everything its sender had (this replica's own changes aside).
            foreach (var (origin, sequence) in snapshotHas.Entries)
                if (origin != log.ReplicaId) applied.Observe(origin, sequence);
            peerHas.MergeFrom(snapshotHas);
        }
        applied.CheckOrigins("this replica's version vector");
        peerHas.CheckOrigins("the peer's version vector");
        foreach (var (origin, sequence) in applied.Entries)
            if (log.Applied[origin] != sequence) batch.Put(log.State!, ReplicationLog.AppliedKey(origin), UInt64(sequence));
        batch.Put(log.State!, ReplicationLog.PeerCursorKey(peer), UInt64(peerCursor));
        batch.Put(log.State!, ReplicationLog.PeerHasKey(peer), peerHas.ToArray());
        if (quarantined > 0) batch.Put(log.State!, ReplicationLog.QuarantinedCountKey(peer), UInt64((ulong)(log.QuarantinedFrom(peer) + quarantined)));
        return new ApplyPlan(batch, check, applied, new Result(appliedCount, duplicates, conflicts, quarantined));
    }

    /// <summary>What of this replica's own changes a snapshot had seen: its entries' shared context says.</summary>
    private ulong SnapshotSaw(IReadOnlyList<RemoteChange> changes) => changes.Count == 0 ? ulong.MaxValue : changes[0].Context[log.ReplicaId];

    /// <summary>This replica's own merge operands after its change <paramref name="after"/>, by family and key.</summary>
    private Dictionary<(uint, byte[]), List<byte[]>> OwnOperandsAfter(ulong after)
    {
        var operands = new Dictionary<(uint, byte[]), List<byte[]>>(new FamilyIdKeyEquality());
        if (after == ulong.MaxValue || log.Changes is null) return operands;
        using var it = log.Db.NewIterator(log.Changes, new ReadOptions { IterateLowerBound = ChangeRecord.PositionKey(after + 1), FillCache = false });
        for (it.SeekToFirst(); it.Valid; it.Next())
        {
            ulong position = ChangeRecord.PositionOf(it.Key);
            var record = ChangeRecord.Decode(it.Value, position);
            if (record.Operation != ChangeOperation.Merge || new Guid(record.Origin) != log.ReplicaId) continue;
            var key = (record.ColumnFamilyId, record.Key.ToArray());
            if (!operands.TryGetValue(key, out var list)) operands[key] = list = [];
            list.Add(record.Value.ToArray());
        }
        return operands;
    }

    /// <summary>Equality of (column family id, key) pairs by the key's bytes (shared with the integrity rules of an apply).</summary>
    internal sealed class FamilyIdKeyEquality : IEqualityComparer<(uint Family, byte[] Key)>
    {
        public bool Equals((uint Family, byte[] Key) x, (uint Family, byte[] Key) y) => x.Family == y.Family && x.Key.AsSpan().SequenceEqual(y.Key);

        public int GetHashCode((uint Family, byte[] Key) obj) => HashCode.Combine(obj.Family, Keys.KeyBytesEquality.Instance.GetHashCode(obj.Key));
    }

    /// <summary>Writes what <paramref name="c"/> does to the data; returns the key's new version record, or null when it keeps its version.</summary>
    private byte[]? Judge(WriteBatch batch, Guid peer, ColumnFamilyHandle family, RemoteChange c, byte[]? current, ref int conflicts, ref int quarantined)
    {
        Dot latest = current is null ? default : ChangeHeader.DotOf(current);
        Dot localBase = current is null ? default : VersionRecord.BaseOf(current);
        if (c.Operation == ChangeOperation.Merge)
        {
            // Operands commute: each counts once, unless a put or delete it had not seen replaced its base.
            if (c.Saw(localBase))
            {
                if (UnmergeableOperand(family, c) is { } mergeReason)
                {
                    Quarantine(batch, peer, c, mergeReason, ref quarantined);
                    return null;
                }
                batch.Merge(family, c.Key, c.Value);
                _written?.Add(new AppliedWrite(family, c.Key, c.Value, Merge: true, ConflictStore.Version(c.Dot)));
                return VersionRecord.Build(HeadOf(c), localBase, current is null ? [] : VersionRecord.Frontier(current), current is null ? null : VersionRecord.BaseContext(current));
            }
            Audit(batch, ConflictOutcome.MergeDiscarded, ResolverOf(family).Name, family.Name, c.Key, localBase, c.Dot, c.Value);
            conflicts++;
            return null;
        }
        // A key this replica has no version of: nothing is concurrent (the common case of a catch-up).
        if (current is null) return FirstVersion(batch, peer, family, c, ref quarantined);
        var frontier = VersionRecord.Frontier(current);
        var contexts = new Dictionary<Dot, VersionVector>();
        if (frontier.Count >= 2)
        {
            foreach (var f in frontier) contexts[f] = Sibling(family, c.Key, f)?.Context ?? new VersionVector();
        }
        else if (!localBase.IsNone)
        {
            frontier.Add(localBase);
            contexts[localBase] = VersionRecord.BaseContext(current!);
        }
        // A version here had already seen this change (it came late, by a longer path): it is older, not concurrent.
        if (frontier.Any(f => c.Dot.SeenBy(f.Origin, f.Sequence, contexts[f]))) return null;
        // A value the family's validator rejects is not stored, whatever it would have won: it is quarantined.
        if (c.Operation == ChangeOperation.Put && c.Value is not null && Rejects(family, c.Key, c.Value) is { } reason)
        {
            Quarantine(batch, peer, c, reason, ref quarantined);
            return null;
        }
        // The concurrent versions that remain: those this change had not seen, and the change.
        var remaining = frontier.Where(f => !c.Saw(f)).ToList();
        if (remaining.Count == 0)
        {
            foreach (var f in frontier) batch.Delete(log.Conflicts!, ConflictStore.SiblingKey(family.Id, c.Key, f));
            Write(batch, family, c.Key, ValueOf(c));
            return RemoteBase(c);
        }
        conflicts++;
        contexts[c.Dot] = c.Context;
        return Resolve(batch, peer, family, c, latest, localBase, frontier, remaining, contexts, ref quarantined);
    }

    /// <summary>
    /// <see cref="Judge"/> for a put or delete of a key without a version here: no version to
    /// have seen or to conflict with, so the change is written unless the validator refuses it.
    /// </summary>
    private byte[]? FirstVersion(WriteBatch batch, Guid peer, ColumnFamilyHandle family, RemoteChange c, ref int quarantined)
    {
        if (c.Operation == ChangeOperation.Put && c.Value is not null && Rejects(family, c.Key, c.Value) is { } reason)
        {
            Quarantine(batch, peer, c, reason, ref quarantined);
            return null;
        }
        Write(batch, family, c.Key, ValueOf(c));
        return RemoteBase(c);
    }

    /// <summary>The version record of a key whose value is now <paramref name="c"/>'s alone: its head and base are the change, with its context.</summary>
    private static byte[] RemoteBase(RemoteChange c)
    {
        Span<byte> head = stackalloc byte[ChangeHeader.Size];
        WriteHead(head, c.Dot, c.Operation);
        return VersionRecord.Build(head, c.Dot, [], c.Context);
    }

    /// <summary>
    /// Settles a change concurrent with the key's current value. The new frontier is the versions
    /// the change had not seen plus the change; the value that wins by clock is the new base.
    /// Last-writer-wins keeps the base's value; keep-both also keeps the others' values as
    /// siblings; merge and custom rules fold every frontier value in clock order, so replicas
    /// that meet the same concurrent writes in any order reach the same value.
    /// </summary>
    private byte[]? Resolve(WriteBatch batch, Guid peer, ColumnFamilyHandle family, RemoteChange c, Dot latest, Dot localBase, List<Dot> frontier, List<Dot> remaining,
        Dictionary<Dot, VersionVector> contexts, ref int quarantined)
    {
        var resolver = ResolverOf(family);
        byte[]? localValue = log.Db.Get(family, c.Key);
        var remoteValue = ValueOf(c);
        remaining.Add(c.Dot);
        var newBase = remaining.Aggregate((a, b) => a.WinsOver(b) ? a : b);
        bool remoteWins = newBase == c.Dot;
        var outcome = remoteWins ? ConflictOutcome.RemoteWon : ConflictOutcome.LocalKept;
        if (resolver.Kind == ConflictResolverKind.LastWriterWins)
        {
            if (remoteWins) Write(batch, family, c.Key, remoteValue);
            Audit(batch, outcome, resolver.Name, family.Name, c.Key, newBase, remoteWins ? localBase : c.Dot, remoteWins ? localValue : remoteValue);
            return remoteWins ? RemoteBase(c) : null;
        }
        // Keep every frontier member's value: the local ones from the conflicts family (or the
        // data, for a base that was alone), the change's own.
        var values = new Dictionary<Dot, byte[]?>();
        foreach (var f in remaining)
            values[f] = f == c.Dot ? remoteValue : frontier.Count == 1 && f == localBase ? localValue : Sibling(family, c.Key, f)?.Value;
        byte[]? value = values[newBase];
        if (resolver.Kind is ConflictResolverKind.Merge or ConflictResolverKind.Custom)
        {
            value = Fold(resolver, family, c.Key, [.. remaining.OrderBy(f => f, DotOrder.Instance).Select(f => (f, values[f]))]);
            outcome = ConflictOutcome.Combined;
            // A combination the validator rejects is not stored; the value that wins by clock is (each
            // was judged when it arrived). Quarantining the change would depend on which one came
            // last, which differs between replicas: falling back to the clock does not.
            if (value is not null && Rejects(family, c.Key, value) is not null)
            {
                value = values[newBase];
                outcome = remoteWins ? ConflictOutcome.RemoteWon : ConflictOutcome.LocalKept;
            }
        }
        foreach (var f in frontier)
            if (!remaining.Contains(f)) batch.Delete(log.Conflicts!, ConflictStore.SiblingKey(family.Id, c.Key, f));
        foreach (var f in remaining)
            batch.Put(log.Conflicts!, ConflictStore.SiblingKey(family.Id, c.Key, f), ConflictStore.EncodeSibling(newBase, f, values[f], contexts[f]));
        if (value is not null || remoteWins || outcome == ConflictOutcome.Combined) Write(batch, family, c.Key, value);
        Audit(batch, outcome, resolver.Name, family.Name, c.Key, newBase, remoteWins ? localBase : c.Dot, remoteWins ? localValue : remoteValue);
        var head = remoteWins ? HeadOf(c) : HeadOf(latest, ChangeOperation.Put);
        return VersionRecord.Build(head, newBase, remaining, contexts[newBase]);
    }

    /// <summary>Combines concurrent values, oldest by clock first: the merge operator (the oldest as the existing value), or the custom rule pairwise.</summary>
    private static byte[]? Fold(ConflictResolver resolver, ColumnFamilyHandle family, byte[] key, List<(Dot Dot, byte[]? Value)> ordered)
    {
        if (resolver.Kind == ConflictResolverKind.Merge)
        {
            var present = ordered.Where(v => v.Value is not null).ToList();
            if (present.Count == 0) return null;
            var result = present[0].Value!;
            foreach (var (_, v) in present.Skip(1)) result = FullMerge(family.Data.Options.MergeOperator!, key, result, v!);
            return result;
        }
        var (dot, value) = ordered[0];
        foreach (var next in ordered.Skip(1))
        {
            value = resolver.CustomRule!(new SyncConflict(family.Name, key, value, ConflictStore.Version(dot), next.Value, ConflictStore.Version(next.Dot)));
            dot = next.Dot;
        }
        return value;
    }

    /// <summary>Why the family's validator refuses <paramref name="value"/>, or null.</summary>
    private string? Rejects(ColumnFamilyHandle family, byte[] key, byte[] value)
        => log.Rules is { } rules && rules.Judges(family) ? rules.Reject(family, key, value) : null;

    /// <summary>
    /// Why a peer's merge operand cannot be stored: the family's merge operator cannot apply it at
    /// all (a malformed operand would make every read of the key fail). Judged on the operand
    /// alone, so every replica decides the same whatever order operands arrive in; the value a
    /// merge produces is judged by the validator only where the merge is made (a result depends
    /// on which concurrent operands arrived first, and judging it here would keep replicas apart).
    /// </summary>
    private static string? UnmergeableOperand(ColumnFamilyHandle family, RemoteChange c)
    {
        if (family.Data.Options.MergeOperator is not { } op) return $"column family '{family.Name}' has no merge operator";
        var operand = c.Value ?? [];
        try
        {
            op.FullMerge(c.Key, [], false, new MergeOperands(operand, [operand.Length], newestFirst: false), new ArrayBufferWriter<byte>());
            return null;
        }
        catch (Exception ex) when (ex is not (OutOfMemoryException or StackOverflowException))
        {
            // Whatever the operator throws (a MergeException, or a user operator's own error), the operand cannot be stored.
            return "the merge operand cannot be applied: " + ex.Message;
        }
    }

    /// <summary>Keeps a refused change (FORMAT.md §18.1) instead of storing it; the key keeps its version.</summary>
    private void Quarantine(WriteBatch batch, Guid peer, RemoteChange c, string reason, ref int quarantined)
    {
        batch.Put(log.QuarantineFamily(), QuarantineStore.Key(c.Dot), QuarantineStore.Encode(peer, log.Clock.Now(), c, reason));
        quarantined++;
    }

    private (byte[]? Value, VersionVector Context)? Sibling(ColumnFamilyHandle family, byte[] key, Dot dot)
    {
        var stored = log.Db.Get(log.Conflicts!, ConflictStore.SiblingKey(family.Id, key, dot));
        if (stored is null) return null;
        var sibling = ConflictStore.DecodeSibling(stored);
        return (sibling.Value, sibling.Context);
    }

    private static byte[]? ValueOf(RemoteChange c) => c.Operation == ChangeOperation.Delete ? null : c.Value;

    private static byte[] HeadOf(RemoteChange c) => HeadOf(c.Dot, c.Operation);

    private static byte[] HeadOf(Dot dot, ChangeOperation operation)
    {
        var head = new byte[ChangeHeader.Size];
        WriteHead(head, dot, operation);
        return head;
    }

    private static void WriteHead(Span<byte> head, Dot dot, ChangeOperation operation)
    {
        Span<byte> origin = stackalloc byte[16];
        dot.Origin.TryWriteBytes(origin);
        ChangeHeader.Write(head, operation, 0, dot.Timestamp, origin, dot.Sequence);
    }

    // What one change adds to the batch besides its key, value and context (each written twice
    // or three times): the records' kinds, lengths and family ids, the change's head and the version record.
    private const int BatchBytesPerChange = 3 * 16 + ChangeHeader.Size + VersionRecord.Size + ChangeRecord.PositionSize;

    /// <summary>
    /// About what the batch of <paramref name="changes"/> takes when each is applied (its data,
    /// version and relay records), so it is not copied each time its buffer doubles; a part of
    /// conflicts or skipped duplicates needs more or less, and the buffer grows or idles.
    /// </summary>
    private static int BatchCapacity(IReadOnlyList<RemoteChange> changes)
    {
        long bytes = 4096;
        foreach (var c in changes)
            bytes += 3L * c.Key.Length + 2L * (c.Value?.Length ?? 0) + 2L * 26 * c.Context.Count + BatchBytesPerChange;
        return (int)Math.Min(bytes, int.MaxValue);
    }

    /// <summary>Clock order (timestamp, then origin): the order every replica folds concurrent values in.</summary>
    private sealed class DotOrder : IComparer<Dot>
    {
        public static readonly DotOrder Instance = new();

        public int Compare(Dot x, Dot y) => x == y ? 0 : x.WinsOver(y) ? 1 : -1;
    }

    private static ConflictResolver ResolverOf(ColumnFamilyHandle family) => family.Data.Options.ConflictResolver ?? ConflictResolver.LastWriterWins;

    private void Write(WriteBatch batch, ColumnFamilyHandle family, byte[] key, byte[]? value)
    {
        if (value is null) batch.Delete(family, key);
        else batch.Put(family, key, value);
        _written?.Add(new AppliedWrite(family, key, value, Merge: false, ConflictStore.Version(_judging)));
    }

    private static byte[] FullMerge(IMergeOperator op, byte[] key, byte[] existing, byte[] operand)
    {
        var output = new ArrayBufferWriter<byte>();
        op.FullMerge(key, existing, true, new MergeOperands(operand, [operand.Length], newestFirst: false), output);
        return output.WrittenSpan.ToArray();
    }

    private void Audit(WriteBatch batch, ConflictOutcome outcome, string resolver, string family, byte[] key, Dot winner, Dot loser, byte[]? loserValue)
        => batch.Put(log.Audit!, ConflictStore.AuditKey(log.Clock.Now()), ConflictStore.EncodeAudit(outcome, resolver, family, key, winner, loser, loserValue));

    private static byte[] UInt64(ulong value)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        return b;
    }
}

/// <summary>A local write to a key landed between an apply's judgement and its commit: the apply is judged again.</summary>
internal sealed class VersionsChangedException() : LatticeException("a key's version changed while remote changes were applied");

/// <summary>
/// Stage 3 of an apply's write: the version records it judged against are still current. Only a
/// local write can have changed them (applies run one at a time), so when every local change
/// stamped so far was already visible when the judgement began reading, they are not read again.
/// </summary>
internal sealed class VersionsUnchangedCheck(ReplicationLog log) : ICommitCheck
{
    private readonly List<(byte[] Key, byte[]? Value)> _expected = [];
    private readonly ulong _visibleBefore = log.Db.LastSequence;

    private List<Func<bool>>? _facts;

    public void Expect(byte[] versionKey, byte[]? value) => _expected.Add((versionKey, value));

    /// <summary>A fact the integrity rules relied on: re-checked when any write landed after the judgement began.</summary>
    public void ExpectFact(Func<bool> holds) => (_facts ??= []).Add(holds);

    public void Check(ulong lastSequence)
    {
        if (_facts is not null && lastSequence > _visibleBefore)
            foreach (var holds in _facts)
                if (!holds()) throw new VersionsChangedException();
        if (log.LastLocalPosition <= _visibleBefore) return;
        foreach (var (key, value) in _expected)
        {
            var now = log.Db.Get(log.Versions!, key);
            if (now is null ? value is not null : value is null || !now.AsSpan().SequenceEqual(value)) throw new VersionsChangedException();
        }
    }
}
