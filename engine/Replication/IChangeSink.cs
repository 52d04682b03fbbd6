namespace LatticeKV.Replication;

/// <summary>
/// Takes the changes a <see cref="ChangeStreamReader"/> reads, one at a time, as views into the
/// log: a sender that encodes them at once needs no <see cref="RemoteChange"/> (and no copies of
/// keys and values) per change.
/// </summary>
internal interface IChangeSink
{
    /// <summary>One change; its spans are valid only during the call.</summary>
    void Add(in ChangeView change);
}

/// <summary>A change as <see cref="ChangeStreamReader"/> reads it: <see cref="RemoteChange"/>'s fields, the key and value still in the log's buffers.</summary>
internal readonly ref struct ChangeView
{
    public Guid Origin { get; init; }
    public ulong OriginSequence { get; init; }
    public ulong Timestamp { get; init; }
    public string ColumnFamily { get; init; }
    public ChangeOperation Operation { get; init; }
    public ReadOnlySpan<byte> Key { get; init; }

    /// <summary>The value (the operand of a merge); empty for a delete.</summary>
    public ReadOnlySpan<byte> Value { get; init; }

    /// <summary>Never changed once handed out: a sink may keep it.</summary>
    public VersionVector Context { get; init; }

    /// <summary>Where the change sits in the log read.</summary>
    public ulong SourcePosition { get; init; }

    /// <summary>A copy that outlives the call.</summary>
    public RemoteChange ToRemoteChange() => new()
    {
        Origin = Origin,
        OriginSequence = OriginSequence,
        Timestamp = Timestamp,
        ColumnFamily = ColumnFamily,
        Operation = Operation,
        Key = Key.ToArray(),
        Value = Operation == ChangeOperation.Delete ? null : Value.ToArray(),
        Context = Context,
        SourcePosition = SourcePosition,
    };
}
