using System.Buffers.Binary;

namespace LatticeKV.Replication;

/// <summary>
/// The replication log of one database (FORMAT.md §15): which families are replicated, the
/// hidden families holding changes, versions and the log's state, the replica's id and clock,
/// reading changes from a cursor, and dropping changes past retention. The write stage
/// (<see cref="ReplicationStage"/>) and stamp (<see cref="ChangeStamp"/>) record the changes.
/// </summary>
/// <remarks>
/// Threads: reads and writes from any thread. The set of replicated families is replaced whole
/// (copy on write) under <see cref="_lock"/>; the write stage reads it without locking.
/// </remarks>
internal sealed partial class ReplicationLog
{
    private static readonly byte[] FloorKey = "floor"u8.ToArray();
    private static readonly byte[] FloorVectorKey = "floorvv"u8.ToArray();
    private static readonly byte[] AppliedPrefix = "vv/"u8.ToArray();
    private static readonly byte[] PeerPrefix = "peer/"u8.ToArray();
    private static readonly byte[] AckedPrefix = "acked/"u8.ToArray();
    private static readonly byte[] PeerHasPrefix = "peerhas/"u8.ToArray();

    public static byte[] PeerHasKey(Guid peer) => [.. PeerHasPrefix, .. peer.ToByteArray()];

    /// <summary>What <paramref name="peer"/> is known to hold: its version vector as of its last Pull, raised by every change it sent.</summary>
    public VersionVector PeerHas(Guid peer)
    {
        if (_state is null) return new VersionVector();
        var value = Db.Get(_state, PeerHasKey(peer));
        return value is null ? new VersionVector() : VersionVector.Decode(value);
    }

    /// <summary>Raises what <paramref name="peer"/> is known to hold by <paramref name="has"/>.</summary>
    public void AddPeerHas(Guid peer, VersionVector has)
    {
        if (_state is null) return;
        var merged = PeerHas(peer);
        merged.MergeFrom(has);
        merged.CheckOrigins("the peer's version vector");
        Db.Put(_state, PeerHasKey(peer), merged.ToArray());
    }
    private static readonly TimeSpan TruncationInterval = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();
    private readonly bool _readOnly;
    private readonly TimeSpan _retention;
    private readonly TimeProvider _clock;
    private volatile HashSet<uint> _replicated = [];
    private ColumnFamilyHandle? _changes, _versions, _state, _audit, _conflicts;
    private volatile VersionVector _applied = new();
    private bool _installed;

    // Truncation runs on the thread pool, one pass at a time; Stop waits for it. TruncateNow runs a pass
    // on the caller's thread, maybe beside it: _floorLock orders their writes of the floor.
    private readonly Lock _floorLock = new();

    // Guarded by _floorLock. The change at which the last truncation pass stopped (the first one
    // kept): while it is within the retention and some peer lacks it, a pass would stop at it
    // again, having read nothing, but opening an iterator over the log costs sorting its memtable:
    // the background pass is skipped instead. Null when that pass stopped for another reason.
    private (ulong Position, ulong Timestamp)? _truncationStop;
    private long _nextTruncationTicks;
    private Task _truncation = Task.CompletedTask;
    private volatile bool _stopped;

    public ReplicationLog(LatticeDb db, Guid replicaId, TimeSpan retention, TimeProvider clock, bool readOnly)
    {
        Db = db;
        ReplicaId = replicaId;
        ReplicaIdBytes = replicaId.ToByteArray();
        _retention = retention;
        _clock = clock;
        _readOnly = readOnly;
        Clock = new HybridClock(clock);
        Applier = new RemoteChangeApplier(this);
    }

    public LatticeDb Db { get; }

    public Guid ReplicaId { get; }

    /// <summary>The replica id as stored in change records (<see cref="Guid.ToByteArray()"/>'s layout).</summary>
    public byte[] ReplicaIdBytes { get; }

    public HybridClock Clock { get; }

    private ulong _lastLocalPosition;

    /// <summary>The position of the newest local change stamped since open (0: none): what every peer's version vector must reach for this replica's writes.</summary>
    public ulong LastLocalPosition
    {
        get => Volatile.Read(ref _lastLocalPosition);
        set => Volatile.Write(ref _lastLocalPosition, value);
    }

    public ChangeSignal Signal { get; } = new();

    /// <summary>Applies peers' changes, one batch at a time: there is one per database (its lock is what serializes applies).</summary>
    public RemoteChangeApplier Applier { get; }

    /// <summary>Holds local writes back while an apply that kept losing its race with them is written.</summary>
    public LocalWriteGate LocalWrites { get; } = new();

    /// <summary>The siblings <see cref="ConflictResolver.KeepBoth"/> kept for a key that are still live (the key was not written since).</summary>
    public List<ConflictSibling> Siblings(ColumnFamilyHandle family, ReadOnlySpan<byte> key)
    {
        var list = new List<ConflictSibling>();
        if (_conflicts is null || _versions is null) return list;
        using var snapshot = Db.GetSnapshot();
        var versionKey = new Coding.ByteWriter(64);
        ReplicationStage.VersionKey(versionKey, family.Id, key);
        var current = Db.Get(_versions, versionKey.WrittenSpan, new ReadOptions { Snapshot = snapshot });
        if (current is null) return list;
        var baseDot = VersionRecord.BaseOf(VersionRecord.Checked(current));
        foreach (var dot in VersionRecord.Frontier(current))
        {
            if (dot == baseDot) continue;
            var stored = Db.Get(_conflicts, ConflictStore.SiblingKey(family.Id, key, dot), new ReadOptions { Snapshot = snapshot });
            list.Add(new ConflictSibling(stored is null ? null : ConflictStore.DecodeSibling(stored).Value, ConflictStore.Version(dot)));
        }
        return list;
    }

    /// <summary>Every recorded conflict resolution, oldest first.</summary>
    public IEnumerable<ConflictRecord> ConflictHistory()
    {
        if (_audit is null) yield break;
        using var it = Db.NewIterator(_audit, new ReadOptions { FillCache = false });
        for (it.SeekToFirst(); it.Valid; it.Next()) yield return ConflictStore.DecodeAudit(it.Key, it.Value);
    }

    public IReadOnlySet<uint> ReplicatedFamilies => _replicated;

    private volatile HashSet<uint> _mergeFamilies = [];

    /// <summary>The replicated families that can hold merge operands (they have a merge operator): only their keys' bases are looked up at commit.</summary>
    public IReadOnlySet<uint> MergeFamilies => _mergeFamilies;

    public ColumnFamilyHandle? Changes => _changes;
    public ColumnFamilyHandle? Versions => _versions;
    public ColumnFamilyHandle? State => _state;
    public ColumnFamilyHandle? Audit => _audit;
    public ColumnFamilyHandle? Conflicts => _conflicts;

    /// <summary>For each origin, the highest origin sequence applied here from peers (this replica's own changes are not in it).</summary>
    public VersionVector Applied => _applied;

    /// <summary>Set by the applier after its batch committed.</summary>
    public void SetApplied(VersionVector applied) => _applied = applied;

    public static byte[] AppliedKey(Guid origin) => [.. AppliedPrefix, .. origin.ToByteArray()];

    public static byte[] PeerCursorKey(Guid peer) => [.. PeerPrefix, .. peer.ToByteArray()];

    /// <summary>Records that <paramref name="peer"/> has applied this replica's log through <paramref name="position"/> (its changes up to there may be dropped once every peer has).</summary>
    public void SetPeerAcknowledged(Guid peer, ulong position)
    {
        if (_state is null) return;
        var value = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(value, position);
        Db.Put(_state, [.. AckedPrefix, .. peer.ToByteArray()], value);
    }

    /// <summary>Each peer that has acknowledged changes, with the position it acknowledged through.</summary>
    public Dictionary<Guid, ulong> PeersAcknowledged()
    {
        var peers = new Dictionary<Guid, ulong>();
        if (_state is null) return peers;
        using var it = Db.NewIterator(_state, new ReadOptions { IterateLowerBound = AckedPrefix, IterateUpperBound = "acked0"u8.ToArray() });
        for (it.SeekToFirst(); it.Valid; it.Next())
            if (it.Key.Length == AckedPrefix.Length + 16) peers[new Guid(it.Key[AckedPrefix.Length..])] = ChangeStreamReader.ReadUInt64(it.Value.ToArray(), "acknowledged position");
        return peers;
    }

    /// <summary>The changes after <paramref name="after"/> a peer still lacks (not its own): count, key and value bytes, and the oldest one's clock reading (0: none). Counts at most <paramref name="limit"/>.</summary>
    public (long Count, long Bytes, ulong OldestTimestamp) Pending(ulong after, Guid peer, long limit = 10_000_000)
    {
        if (_changes is null) return (0, 0, 0);
        var has = PeerHas(peer);
        using var it = Db.NewIterator(_changes, new ReadOptions { FillCache = false, IterateLowerBound = ChangeRecord.PositionKey(after + 1) });
        long count = 0, bytes = 0;
        ulong oldest = 0;
        for (it.SeekToFirst(); it.Valid && count < limit; it.Next())
        {
            var head = ChangeHeader.DotOf(it.Value);
            if (head.Origin == peer || has[head.Origin] >= head.Sequence) continue;
            if (oldest == 0) oldest = head.Timestamp;
            count++;
            bytes += it.Value.Length - ChangeHeader.Size;
        }
        return (count, bytes, oldest);
    }

    /// <summary>The position in <paramref name="peer"/>'s log this replica has applied through (0: none).</summary>
    public ulong PeerCursor(Guid peer)
    {
        if (_state is null) return 0;
        var value = Db.Get(_state, PeerCursorKey(peer));
        return value is null ? 0 : ChangeStreamReader.ReadUInt64(value, "peer cursor");
    }

    /// <summary>The change log's family id (<see cref="uint.MaxValue"/> while there is none).</summary>
    public uint ChangesId => _changes?.Id ?? uint.MaxValue;

    public uint VersionsId => _versions?.Id ?? uint.MaxValue;

    public string NameOf(uint columnFamilyId) => Db.FindFamily(columnFamilyId)?.Name ?? $"#{columnFamilyId}";

    /// <summary>At open: finds the log's families and the replicated ones; a writable open with replicated families creates what is missing and starts recording.</summary>
    public void Load()
    {
        Db.TryGetFamilyAnyName(ReplicationFamilies.Changes, out _changes);
        Db.TryGetFamilyAnyName(ReplicationFamilies.Versions, out _versions);
        Db.TryGetFamilyAnyName(ReplicationFamilies.State, out _state);
        Db.TryGetFamilyAnyName(ReplicationFamilies.Audit, out _audit);
        Db.TryGetFamilyAnyName(ReplicationFamilies.Conflicts, out _conflicts);
        Db.TryGetFamilyAnyName(QuarantineStore.Family, out _quarantine);
        LoadApplied();
        var replicated = Db.ColumnFamilies.Where(h => h.Data.Options.Replicated).ToList();
        foreach (var family in replicated) Add(family);
        if (_changes is not null) ObserveNewestChange();
    }

    /// <summary>A replicated family was created: from its first write on, its changes are recorded.</summary>
    public void Add(ColumnFamilyHandle family)
    {
        lock (_lock)
        {
            if (!_readOnly) Install();
            _replicated = [.. _replicated, family.Id];
            if (family.Data.Options.MergeOperator is not null) _mergeFamilies = [.. _mergeFamilies, family.Id];
        }
    }

    /// <summary>A family was dropped: its changes already logged stay until truncated.</summary>
    public void Remove(uint columnFamilyId)
    {
        lock (_lock)
        {
            if (!_replicated.Contains(columnFamilyId)) return;
            var next = new HashSet<uint>(_replicated);
            next.Remove(columnFamilyId);
            _replicated = next;
            _mergeFamilies = [.. _mergeFamilies.Where(id => id != columnFamilyId)];
        }
    }

    private void Install()
    {
        if (_installed) return;
        var options = new ColumnFamilyOptions { Encrypted = Db.HasEncryption };
        _changes ??= Db.CreateColumnFamilyCore(ReplicationFamilies.Changes, options);
        _versions ??= Db.CreateColumnFamilyCore(ReplicationFamilies.Versions, options);
        _state ??= Db.CreateColumnFamilyCore(ReplicationFamilies.State, options);
        _audit ??= Db.CreateColumnFamilyCore(ReplicationFamilies.Audit, options);
        _conflicts ??= Db.CreateColumnFamilyCore(ReplicationFamilies.Conflicts, options);
        Db.InstallReplication(new ReplicationStage(this), new ChangeStamp(this));
        _installed = true;
    }

    private void LoadApplied()
    {
        if (_state is null) return;
        var applied = new VersionVector();
        using var it = Db.NewIterator(_state, new ReadOptions { IterateLowerBound = AppliedPrefix, IterateUpperBound = "vv0"u8.ToArray() });
        for (it.SeekToFirst(); it.Valid; it.Next())
        {
            if (it.Key.Length != AppliedPrefix.Length + 16) throw new CorruptionException($"replication state key of {it.Key.Length} bytes under 'vv/'");
            applied.Observe(new Guid(it.Key[AppliedPrefix.Length..]), ChangeStreamReader.ReadUInt64(it.Value.ToArray(), "version vector"));
        }
        _applied = applied;
    }

    /// <summary>The version vector of the changes dropped by truncation (empty when none were), as of <paramref name="snapshot"/>.</summary>
    public VersionVector FloorVector(Snapshot? snapshot)
    {
        if (_state is null) return new VersionVector();
        var value = Db.Get(_state, FloorVectorKey, new ReadOptions { Snapshot = snapshot });
        return value is null ? new VersionVector() : VersionVector.Decode(value);
    }

    /// <summary>This replica's version vector at <paramref name="snapshot"/>: the dropped changes' and every retained change's (its own included).</summary>
    public VersionVector VectorAt(Snapshot snapshot)
    {
        var vv = FloorVector(snapshot);
        if (_changes is null) return vv;
        using var it = Db.NewIterator(_changes, new ReadOptions { Snapshot = snapshot, FillCache = false });
        for (it.SeekToFirst(); it.Valid; it.Next())
        {
            var head = ChangeHeader.DotOf(it.Value);
            vv.Observe(head.Origin, head.Sequence);
        }
        return vv;
    }

    /// <summary>
    /// A clock reading never goes below one this replica handed out before, even when the wall
    /// clock went back across a restart: the newest local change's (the newest record may be a
    /// relayed one, which keeps its origin's older reading) and the newest conflict record's key.
    /// </summary>
    private void ObserveNewestChange()
    {
        const int MaxScanned = 1 << 16;
        using (var it = Db.NewIterator(_changes!, new ReadOptions { FillCache = false }))
        {
            int scanned = 0;
            for (it.SeekToLast(); it.Valid && scanned < MaxScanned; it.Prev(), scanned++)
            {
                if (it.Value.Length < ChangeHeader.Size) continue;
                Clock.Observe(BinaryPrimitives.ReadUInt64LittleEndian(it.Value[ChangeHeader.TimestampOffset..]));
                if (ChangeHeader.IsLocal(it.Value)) break;
            }
        }
        if (_audit is null) return;
        using var audit = Db.NewIterator(_audit, new ReadOptions { FillCache = false });
        audit.SeekToLast();
        if (audit.Valid && audit.Key.Length == 8) Clock.Observe(BinaryPrimitives.ReadUInt64BigEndian(audit.Key));
    }

    /// <summary>Called by the leader once stamped changes are visible.</summary>
    public void Published()
    {
        Signal.Pulse();
        long now = _clock.GetTimestamp();
        if (now < Volatile.Read(ref _nextTruncationTicks) || _stopped || Db.Options.TestHooks?.ManualChangeLogTruncation == true) return;
        Volatile.Write(ref _nextTruncationTicks, now + (long)(TruncationInterval.TotalSeconds * _clock.TimestampFrequency));
        lock (_lock)
        {
            if (!_truncation.IsCompleted || _stopped) return;
            _truncation = Task.Run(TruncateExpired);
        }
    }

    /// <summary>Stops truncation and wakes watchers (at close).</summary>
    public void Stop()
    {
        Task running;
        lock (_lock)
        {
            _stopped = true;
            running = _truncation;
        }
        try { running.Wait(); }
        catch (AggregateException) { } // a pass that failed: the next open truncates again
        Signal.Pulse();
    }

    /// <summary>The last position dropped by truncation, as of <paramref name="snapshot"/> (0 when none was).</summary>
    public ulong Floor(Snapshot? snapshot)
    {
        if (_state is null) return 0;
        var value = Db.Get(_state, FloorKey, new ReadOptions { Snapshot = snapshot });
        if (value is null) return 0;
        if (value.Length != 8) throw new CorruptionException($"the change log's floor record has {value.Length} bytes (expected 8)");
        return BinaryPrimitives.ReadUInt64LittleEndian(value);
    }

    /// <summary>
    /// Adds to <paramref name="into"/> up to <paramref name="max"/> changes after
    /// <paramref name="after"/> and at or before <paramref name="upTo"/>, in commit order, as of
    /// one snapshot. Throws <see cref="ChangeLogTruncatedException"/> when some after the cursor
    /// were dropped.
    /// </summary>
    public void Read(ChangeCursor after, ulong upTo, int max, List<Change> into)
    {
        if (_changes is null || after.Position >= upTo) return;
        using var snapshot = Db.GetSnapshot();
        ulong floor = Floor(snapshot);
        if (after.Position < floor) throw new ChangeLogTruncatedException(after.Position, floor);
        var options = new ReadOptions
        {
            Snapshot = snapshot,
            FillCache = false,
            IterateLowerBound = ChangeRecord.PositionKey(after.Position + 1),
            IterateUpperBound = upTo == ulong.MaxValue ? null : ChangeRecord.PositionKey(upTo + 1),
        };
        using var it = Db.NewIterator(_changes, options);
        byte[]? unsealed = null;
        for (it.SeekToFirst(); it.Valid && into.Count < max; it.Next())
        {
            ulong position = ChangeRecord.PositionOf(it.Key);
            var record = ChangeRecord.Decode(it.Value, position);
            var family = Db.FindFamily(record.ColumnFamilyId);
            byte[]? value = null;
            if (record.Operation != ChangeOperation.Delete) value = UserValue(family, record.Key, record.Value, ref unsealed);
            into.Add(new Change(position, new Guid(record.Origin), record.OriginSequence, (long)record.Timestamp, family?.Name,
                record.Operation, record.Key.ToArray(), value));
        }
    }

    /// <summary>A scope-sealed family's change holds the sealed value (as its data does): opened here, or null once shredded.</summary>
    public static byte[]? UserValue(ColumnFamilyHandle? family, ReadOnlySpan<byte> key, ReadOnlySpan<byte> stored, ref byte[]? buffer)
        => TryUserValue(family, key, stored, ref buffer, out var value) ? value.ToArray() : null;

    /// <summary>As <see cref="UserValue"/> without a copy: the value is <paramref name="stored"/> itself or opened into <paramref name="buffer"/>; false once shredded.</summary>
    public static bool TryUserValue(ColumnFamilyHandle? family, ReadOnlySpan<byte> key, ReadOnlySpan<byte> stored, scoped ref byte[]? buffer, out ReadOnlySpan<byte> value)
    {
        var scopes = family?.Data.Scopes;
        if (scopes is null)
        {
            value = stored;
            return true;
        }
        if (scopes.IsShredded(stored))
        {
            value = default;
            return false;
        }
        value = scopes.Open(key, stored, ref buffer);
        return true;
    }

    /// <summary>
    /// Drops changes older than the retention, oldest first, with the new floor in the same batch
    /// (a reader sees the drop and the floor together or neither).
    /// </summary>
    private void TruncateExpired() => TruncateExpired(background: true);

    /// <summary>One truncation pass; a background one is skipped while the change the last pass stopped at must stay.</summary>
    internal void TruncateExpired(bool background)
    {
        const int MaxPerPass = 100_000;
        if (_changes is null || _state is null || _stopped) return;
        try
        {
            ulong cutoff = (ulong)Math.Max(0, (_clock.GetUtcNow() - _retention).ToUnixTimeMilliseconds()) << 16;
            // Dropped once past the retention, or once every peer known to this replica has it.
            var peers = PeersAcknowledged();
            ulong acknowledgedByAll = peers.Count == 0 ? 0 : peers.Values.Min();
            if (background)
            {
                lock (_floorLock)
                {
                    if (_truncationStop is { } stop && Kept(stop.Timestamp, stop.Position, cutoff, acknowledgedByAll)) return;
                }
            }
            ulong last = 0;
            int count = 0;
            (ulong Position, ulong Timestamp)? stoppedAt = null;
            var dropped = new VersionVector();
            using (var it = Db.NewIterator(_changes, new ReadOptions { FillCache = false }))
            {
                for (it.SeekToFirst(); it.Valid && count < MaxPerPass && !_stopped; it.Next())
                {
                    if (it.Value.Length < ChangeHeader.Size) break;
                    ulong timestamp = BinaryPrimitives.ReadUInt64LittleEndian(it.Value[ChangeHeader.TimestampOffset..]);
                    ulong position = ChangeRecord.PositionOf(it.Key);
                    if (Kept(timestamp, position, cutoff, acknowledgedByAll))
                    {
                        stoppedAt = (position, timestamp);
                        break;
                    }
                    last = position;
                    var head = ChangeHeader.DotOf(it.Value);
                    dropped.Observe(head.Origin, head.Sequence);
                    count++;
                }
            }
            if (count == 0 || _stopped)
            {
                lock (_floorLock) _truncationStop = stoppedAt;
                return;
            }
            Db.Options.TestHooks?.ChangeLogTruncationScanned?.Invoke();
            // Passes can overlap (TruncateNow beside the pass a write started): one that scanned first must
            // not write its lower floor over a higher one, which would make the changes between the two
            // vanish for a reader whose cursor lies between them, instead of failing its read as truncated.
            lock (_floorLock)
            {
                if (Floor(null) >= last)
                {
                    // Another pass got further: where this one stopped says nothing of the log after it.
                    _truncationStop = null;
                    return;
                }
                dropped.MergeFrom(FloorVector(null));
                var batch = new WriteBatch();
                batch.DeleteRange(_changes, ChangeRecord.PositionKey(0), ChangeRecord.PositionKey(last + 1));
                var floor = new byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(floor, last);
                batch.Put(_state, FloorKey, floor);
                batch.Put(_state, FloorVectorKey, dropped.ToArray());
                Db.Write(batch);
                _truncationStop = stoppedAt;
            }
        }
        catch (ObjectDisposedException)
        {
            // Closed meanwhile: the next open truncates.
        }
    }

    /// <summary>Whether a change stays: within the retention, and not yet acknowledged by every peer.</summary>
    private static bool Kept(ulong timestamp, ulong position, ulong cutoff, ulong acknowledgedByAll) => timestamp >= cutoff && position > acknowledgedByAll;

    public void TruncateNow() => TruncateExpired(background: false);
}
