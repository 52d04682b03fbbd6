namespace LatticeKV.Keys;

/// <summary>
/// The kind of an entry, stored in the low byte of every internal key's trailer and in WAL
/// records. Persistent format: do not renumber. Within one user key and sequence number a
/// larger kind sorts first.
/// </summary>
internal enum ValueKind : byte
{
    Deletion = 0,
    Value = 1,
    /// <summary>A range tombstone: the internal key holds the begin key, the value the exclusive end key.</summary>
    RangeDeletion = 2,
    /// <summary>A value written to a column family with a TTL: the value starts with its 8-byte write time (Unix ms, LE).</summary>
    TimedValue = 3,
    /// <summary>
    /// A merge operand (database format 5): combined with the older entries of its key by the
    /// column family's merge operator when read, flushed or compacted.
    /// </summary>
    Merge = 4,
    /// <summary>
    /// A value stored apart from its key (database format 9, FORMAT.md §21): the entry's value is
    /// a blob reference naming the blob file, offset, size and checksum of the real value and the
    /// kind (Value or TimedValue) it was written with. Only in tables: never in logs or memtables.
    /// </summary>
    BlobIndex = 5,
}

internal static class ValueKinds
{
    /// <summary>The largest kind: a lookup key built with it sorts before every entry of its sequence number.</summary>
    public const ValueKind ForSeek = ValueKind.BlobIndex;

    public static bool IsValid(byte kind) => kind <= (byte)ValueKind.BlobIndex;

    public static bool IsPointValue(ValueKind kind) => kind is ValueKind.Value or ValueKind.TimedValue;

    /// <summary>A value as tables store it: in the entry, or in a blob file (<see cref="ValueKind.BlobIndex"/>).</summary>
    public static bool IsStoredValue(ValueKind kind) => kind is ValueKind.Value or ValueKind.TimedValue or ValueKind.BlobIndex;
}
