namespace LatticeKV.Replication;

/// <summary>
/// A change as it travels between replicas: its origin's values, the column family by name
/// (ids are local), and its causal context (the origin's version vector when it was made, less
/// the origin's own entry, which its sequence number implies).
/// </summary>
internal sealed class RemoteChange
{
    public required Guid Origin { get; init; }
    public required ulong OriginSequence { get; init; }
    public required ulong Timestamp { get; init; }
    public required string ColumnFamily { get; init; }
    public required ChangeOperation Operation { get; init; }
    public required byte[] Key { get; init; }
    public byte[]? Value { get; init; }
    public required VersionVector Context { get; init; }

    /// <summary>Where the change sits in the sender's log.</summary>
    public ulong SourcePosition { get; init; }

    public Dot Dot => new(Origin, OriginSequence, Timestamp);

    /// <summary>Whether this change's writer had seen <paramref name="version"/>.</summary>
    public bool Saw(Dot version) => version.SeenBy(Origin, OriginSequence, Context);
}
