namespace LatticeKV;

/// <summary>
/// One committed write to a replicated column family (<see cref="ColumnFamilyOptions.Replicated"/>),
/// as the change log holds it: recorded in the same log record as the data it describes.
/// </summary>
public sealed class Change
{
    internal Change(ulong position, Guid origin, ulong originSequence, long timestamp, string? columnFamily, ChangeOperation operation, byte[] key, byte[]? value)
    {
        Position = position;
        Origin = origin;
        OriginSequence = originSequence;
        Timestamp = timestamp;
        ColumnFamily = columnFamily;
        Operation = operation;
        Key = key;
        Value = value;
    }

    /// <summary>Where the change sits in this database's log (commit order).</summary>
    public ulong Position { get; }

    /// <summary>The cursor just after this change: store it to resume after it.</summary>
    public ChangeCursor Cursor => new(Position);

    /// <summary>The replica the write was first made on (<see cref="LatticeDb.ReplicaId"/>).</summary>
    public Guid Origin { get; }

    /// <summary>The change's number at its origin (increasing per origin).</summary>
    public ulong OriginSequence { get; }

    /// <summary>
    /// Its hybrid logical clock reading at the origin: milliseconds since the Unix epoch in the
    /// upper 48 bits and a counter in the lower 16; orders concurrent writes for last-writer-wins.
    /// </summary>
    public long Timestamp { get; }

    /// <summary>The wall-clock part of <see cref="Timestamp"/>.</summary>
    public DateTimeOffset Time => Replication.HybridClock.WallTime((ulong)Timestamp);

    /// <summary>The column family's name; null when the family has since been dropped.</summary>
    public string? ColumnFamily { get; }

    /// <summary>What the write did to the key.</summary>
    public ChangeOperation Operation { get; }

    /// <summary>The key written, in the family's key space.</summary>
    public byte[] Key { get; }

    /// <summary>
    /// The value put or the operand merged; null for a delete, and for a value of a scope-sealed
    /// family whose scope has been shredded.
    /// </summary>
    public byte[]? Value { get; }
}
