using System.Buffers.Binary;

namespace LatticeKV.Replication;

/// <summary>
/// Reads this replica's change log for one peer, from a cursor on: each change with its causal
/// context (a local change's is the replica's version vector just before it, kept as the log is
/// read; a relayed change keeps the one it arrived with), leaving out what the peer already has
/// (its own changes and those its version vector covers). Starting costs a scan from the log's
/// floor to the cursor.
/// </summary>
internal sealed class ChangeStreamReader
{
    private readonly ReplicationLog _log;
    private readonly Guid _peer;
    private readonly VersionVector _peerHas;
    private readonly VersionVector _running;

    public ChangeStreamReader(ReplicationLog log, ulong after, Guid peer, VersionVector peerHas)
    {
        _log = log;
        _peer = peer;
        _peerHas = peerHas;
        using var snapshot = log.Db.GetSnapshot();
        ulong floor = log.Floor(snapshot);
        if (after < floor) throw new ChangeLogTruncatedException(after, floor);
        _running = log.FloorVector(snapshot);
        Cursor = floor;
        Scan(snapshot, after, int.MaxValue, null);
    }

    /// <summary>The position read through: the peer stores it once it has applied what came before.</summary>
    public ulong Cursor { get; private set; }

    /// <summary>
    /// Adds the next changes to <paramref name="into"/>: at most <paramref name="max"/> log entries
    /// read, and no more once their keys and values reach <paramref name="maxBytes"/> (a batch
    /// must fit a frame; the first change is always taken). False when the log held nothing new.
    /// </summary>
    public bool Read(int max, List<RemoteChange> into, long maxBytes = long.MaxValue) => Read(max, new ListSink(into), maxBytes);

    /// <summary>As <see cref="Read(int, List{RemoteChange}, long)"/>, each change handed to <paramref name="into"/> as it is read.</summary>
    public bool Read(int max, IChangeSink into, long maxBytes = long.MaxValue)
    {
        using var snapshot = _log.Db.GetSnapshot();
        ulong before = Cursor;
        Scan(snapshot, ulong.MaxValue, max, into, maxBytes);
        return Cursor != before;
    }

    private sealed class ListSink(List<RemoteChange> list) : IChangeSink
    {
        public void Add(in ChangeView change) => list.Add(change.ToRemoteChange());
    }

    private void Scan(Snapshot snapshot, ulong upTo, int max, IChangeSink? into, long maxBytes = long.MaxValue)
    {
        if (_log.Changes is null || Cursor >= upTo) return;
        var options = new ReadOptions
        {
            Snapshot = snapshot,
            FillCache = false,
            IterateLowerBound = ChangeRecord.PositionKey(Cursor + 1),
            IterateUpperBound = upTo == ulong.MaxValue ? null : ChangeRecord.PositionKey(upTo + 1),
        };
        using var it = _log.Db.NewIterator(_log.Changes, options);
        int read = 0;
        long bytes = 0;
        byte[]? unsealed = null;
        for (it.SeekToFirst(); it.Valid && read < max && (bytes < maxBytes || read == 0); it.Next(), read++)
        {
            bytes += it.Value.Length;
            ulong position = ChangeRecord.PositionOf(it.Key);
            var record = ChangeRecord.Decode(it.Value, position);
            var origin = new Guid(record.Origin);
            if (into is not null && origin != _peer && _peerHas[origin] < record.OriginSequence
                && _log.Db.FindFamily(record.ColumnFamilyId) is { } family)
            {
                var context = (record.Flags & ChangeHeader.ContextFlag) != 0 ? VersionVector.Decode(record.Context) : WithoutOwn(_running, origin);
                ReadOnlySpan<byte> value = default;
                // A value whose scope was shredded here is gone: it is not sent (the peer keeps what it has).
                if (record.Operation == ChangeOperation.Delete || ReplicationLog.TryUserValue(family, record.Key, record.Value, ref unsealed, out value)) into.Add(new ChangeView
                {
                    Origin = origin,
                    OriginSequence = record.OriginSequence,
                    Timestamp = record.Timestamp,
                    ColumnFamily = family.Name,
                    Operation = record.Operation,
                    Key = record.Key,
                    Value = value,
                    Context = context,
                    SourcePosition = position,
                });
            }
            Observe(origin, record.OriginSequence);
            Cursor = position;
        }
    }

    // The last context made, for its origin: a run of one origin's changes shares it (their
    // contexts differ only in the origin's own entry, which a context leaves out). Contexts are
    // never changed once handed out.
    private VersionVector? _context;
    private Guid _contextOrigin;

    private VersionVector WithoutOwn(VersionVector running, Guid origin)
    {
        if (_context is not null && _contextOrigin == origin) return _context;
        var context = new VersionVector();
        foreach (var (o, s) in running.Entries)
            if (o != origin) context.Observe(o, s);
        _context = context;
        _contextOrigin = origin;
        return context;
    }

    /// <summary>Raises the running vector; a change of another origin than the cached context's makes that context stale.</summary>
    private void Observe(Guid origin, ulong sequence)
    {
        if (origin != _contextOrigin && _running[origin] < sequence) _context = null;
        _running.Observe(origin, sequence);
    }

    /// <summary>The sequence number stored in a state record (8 bytes, little-endian).</summary>
    public static ulong ReadUInt64(byte[] value, string what)
        => value.Length == 8 ? BinaryPrimitives.ReadUInt64LittleEndian(value) : throw new CorruptionException($"the replication state's {what} record has {value.Length} bytes (expected 8)");
}
