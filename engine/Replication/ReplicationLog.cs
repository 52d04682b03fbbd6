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
internal sealed class ReplicationLog
{
    private static readonly byte[] FloorKey = "floor"u8.ToArray();
    private static readonly TimeSpan TruncationInterval = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();
    private readonly bool _readOnly;
    private readonly TimeSpan _retention;
    private readonly TimeProvider _clock;
    private volatile HashSet<uint> _replicated = [];
    private ColumnFamilyHandle? _changes, _versions, _state;
    private bool _installed;

    // Truncation runs on the thread pool, one pass at a time; Stop waits for it.
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
    }

    public LatticeDb Db { get; }

    public Guid ReplicaId { get; }

    /// <summary>The replica id as stored in change records (<see cref="Guid.ToByteArray()"/>'s layout).</summary>
    public byte[] ReplicaIdBytes { get; }

    public HybridClock Clock { get; }

    public ChangeSignal Signal { get; } = new();

    public IReadOnlySet<uint> ReplicatedFamilies => _replicated;

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
        }
    }

    private void Install()
    {
        if (_installed) return;
        var options = new ColumnFamilyOptions { Encrypted = Db.HasEncryption };
        _changes ??= Db.CreateColumnFamilyCore(ReplicationFamilies.Changes, options);
        _versions ??= Db.CreateColumnFamilyCore(ReplicationFamilies.Versions, options);
        _state ??= Db.CreateColumnFamilyCore(ReplicationFamilies.State, options);
        Db.InstallReplication(new ReplicationStage(this), new ChangeStamp(this));
        _installed = true;
    }

    /// <summary>A clock reading never goes below the newest change's, even when the wall clock went back across a restart.</summary>
    private void ObserveNewestChange()
    {
        using var it = Db.NewIterator(_changes!, new ReadOptions { FillCache = false });
        it.SeekToLast();
        if (it.Valid && it.Value.Length >= ChangeHeader.Size)
            Clock.Observe(BinaryPrimitives.ReadUInt64LittleEndian(it.Value[ChangeHeader.TimestampOffset..]));
    }

    /// <summary>Called by the leader once stamped changes are visible.</summary>
    public void Published()
    {
        Signal.Pulse();
        long now = _clock.GetTimestamp();
        if (now < Volatile.Read(ref _nextTruncationTicks) || _stopped) return;
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
    private static byte[]? UserValue(ColumnFamilyHandle? family, ReadOnlySpan<byte> key, ReadOnlySpan<byte> stored, ref byte[]? buffer)
    {
        var scopes = family?.Data.Scopes;
        if (scopes is null) return stored.ToArray();
        if (scopes.IsShredded(stored)) return null;
        return scopes.Open(key, stored, ref buffer).ToArray();
    }

    /// <summary>
    /// Drops changes older than the retention, oldest first, with the new floor in the same batch
    /// (a reader sees the drop and the floor together or neither).
    /// </summary>
    private void TruncateExpired()
    {
        const int MaxPerPass = 100_000;
        if (_changes is null || _state is null || _stopped) return;
        try
        {
            ulong cutoff = (ulong)Math.Max(0, (_clock.GetUtcNow() - _retention).ToUnixTimeMilliseconds()) << 16;
            ulong last = 0;
            int count = 0;
            using (var it = Db.NewIterator(_changes, new ReadOptions { FillCache = false }))
            {
                for (it.SeekToFirst(); it.Valid && count < MaxPerPass && !_stopped; it.Next())
                {
                    if (it.Value.Length < ChangeHeader.Size) break;
                    if (BinaryPrimitives.ReadUInt64LittleEndian(it.Value[ChangeHeader.TimestampOffset..]) >= cutoff) break;
                    last = ChangeRecord.PositionOf(it.Key);
                    count++;
                }
            }
            if (count == 0 || _stopped) return;
            var batch = new WriteBatch();
            batch.DeleteRange(_changes, ChangeRecord.PositionKey(0), ChangeRecord.PositionKey(last + 1));
            var floor = new byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(floor, last);
            batch.Put(_state, FloorKey, floor);
            Db.Write(batch);
        }
        catch (ObjectDisposedException)
        {
            // Closed meanwhile: the next open truncates.
        }
    }

    /// <summary>Truncates now (tests and tools; normally it runs after writes).</summary>
    public void TruncateNow() => TruncateExpired();
}
