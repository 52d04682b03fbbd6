using System.Buffers.Binary;

namespace LatticeKV.Replication;

/// <summary>
/// A full resync's source (FORMAT.md §17.3): the current version of every replicated key at one
/// snapshot, as changes carrying the key's last dot (its value, or a delete for a key whose last
/// change deleted it) and, as context, this replica's whole version vector at the snapshot (the
/// state it sends had seen all of it). After it, the log follows from the snapshot's position.
/// </summary>
internal sealed class SnapshotReader : IDisposable
{
    private readonly ReplicationLog _log;
    private readonly Snapshot _snapshot;
    private readonly LatticeIterator _versions;
    private bool _started;

    public SnapshotReader(ReplicationLog log)
    {
        _log = log;
        _snapshot = log.Db.GetSnapshot();
        Position = _snapshot.SequenceNumber;
        Has = log.VectorAt(_snapshot);
        _versions = log.Db.NewIterator(log.Versions!, new ReadOptions { Snapshot = _snapshot, FillCache = false });
    }

    /// <summary>The snapshot's position in this replica's log: the log follows from here.</summary>
    public ulong Position { get; }

    /// <summary>This replica's version vector at the snapshot.</summary>
    public VersionVector Has { get; }

    /// <summary>Adds up to <paramref name="max"/> keys' versions, fewer once their keys and values reach <paramref name="maxBytes"/>; false once every key was read.</summary>
    public bool Read(int max, List<RemoteChange> into, long maxBytes = long.MaxValue)
    {
        if (!_started)
        {
            _versions.SeekToFirst();
            _started = true;
        }
        int read = 0;
        long bytes = 0;
        for (; _versions.Valid && read < max && (bytes < maxBytes || read == 0); _versions.Next())
        {
            var key = _versions.Key;
            if (key.Length < 4) throw new CorruptionException($"a key version record's key of {key.Length} bytes");
            var family = _log.Db.FindFamily(BinaryPrimitives.ReadUInt32BigEndian(key));
            if (family is null || !family.Data.Options.Replicated) continue;
            var head = ChangeHeader.DotOf(VersionRecord.Checked(_versions.Value));
            var userKey = key[4..].ToArray();
            var value = _log.Db.Get(family, userKey, new ReadOptions { Snapshot = _snapshot, FillCache = false });
            bytes += userKey.Length + (value?.Length ?? 0);
            into.Add(new RemoteChange
            {
                Origin = head.Origin,
                OriginSequence = head.Sequence,
                Timestamp = head.Timestamp,
                ColumnFamily = family.Name,
                Operation = value is null ? ChangeOperation.Delete : ChangeOperation.Put,
                Key = userKey,
                Value = value,
                Context = Has,
                SourcePosition = Position,
            });
            read++;
        }
        return _versions.Valid;
    }

    public void Dispose()
    {
        _versions.Dispose();
        _snapshot.Dispose();
    }
}
