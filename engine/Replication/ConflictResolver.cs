namespace LatticeKV;

/// <summary>
/// How a replicated column family settles two concurrent writes to one key, that is two writes
/// neither of whose replicas had seen the other (judged with version vectors, not clocks). Every
/// replica must reach the same value whichever write it holds first, so a rule must not depend
/// on which side is local. Every resolution is recorded (<c>LatticeDb.GetConflictHistory</c>).
/// Merges (<c>LatticeDb.Merge</c>) never conflict with each other: each operand counts once on
/// every replica; a merge concurrent with a put or delete of its key is discarded (the put or
/// delete wins), and recorded.
/// </summary>
public sealed class ConflictResolver
{
    private ConflictResolver(string name, ConflictResolverKind kind, Func<SyncConflict, byte[]?>? custom = null)
    {
        Name = name;
        Kind = kind;
        CustomRule = custom;
    }

    /// <summary>The later write wins by hybrid logical clock, ties by replica id (the default).</summary>
    public static ConflictResolver LastWriterWins { get; } = new("lww", ConflictResolverKind.LastWriterWins);

    /// <summary>
    /// As <see cref="LastWriterWins"/>, and the losing value is kept as a sibling, read with
    /// <c>LatticeDb.GetConflicts</c> until the key is written again (which is how the application
    /// resolves it).
    /// </summary>
    public static ConflictResolver KeepBoth { get; } = new("keep-both", ConflictResolverKind.KeepBoth);

    /// <summary>
    /// Two concurrent puts are combined with the family's merge operator: the value that loses by
    /// clock is the existing value and the winner's the operand (a delete against a put: the
    /// later wins). Requires <see cref="ColumnFamilyOptions.MergeOperator"/>.
    /// </summary>
    public static ConflictResolver Merge { get; } = new("merge", ConflictResolverKind.Merge);

    /// <summary>
    /// An application rule: given the conflict, returns the value to keep (null: the key is
    /// deleted). It must give the same answer with local and remote swapped, on every replica.
    /// </summary>
    public static ConflictResolver Custom(string name, Func<SyncConflict, byte[]?> resolve)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(resolve);
        return new ConflictResolver(name, ConflictResolverKind.Custom, resolve);
    }

    /// <summary>The rule's name, as conflict records name it.</summary>
    public string Name { get; }

    internal ConflictResolverKind Kind { get; }

    internal Func<SyncConflict, byte[]?>? CustomRule { get; }
}

internal enum ConflictResolverKind
{
    LastWriterWins,
    KeepBoth,
    Merge,
    Custom,
}

/// <summary>A version of a key: the replica it was written on, its number there, and its clock reading.</summary>
public readonly record struct ChangeVersion(Guid Origin, ulong OriginSequence, long Timestamp)
{
    /// <summary>The wall-clock part of <see cref="Timestamp"/>.</summary>
    public DateTimeOffset Time => Replication.HybridClock.WallTime((ulong)Timestamp);
}

/// <summary>Two concurrent writes to one key, as a <see cref="ConflictResolver.Custom"/> rule sees them (a null value: a delete).</summary>
public sealed record SyncConflict(string ColumnFamily, byte[] Key, byte[]? LocalValue, ChangeVersion Local, byte[]? RemoteValue, ChangeVersion Remote);

/// <summary>What a resolution did.</summary>
public enum ConflictOutcome
{
    /// <summary>The remote write won; the local value was replaced.</summary>
    RemoteWon = 1,

    /// <summary>The local write won; the remote one was not applied.</summary>
    LocalKept = 2,

    /// <summary>The family's merge operator or a custom rule made a new value from both.</summary>
    Combined = 3,

    /// <summary>A merge operand concurrent with a put or delete of its key was discarded.</summary>
    MergeDiscarded = 4,

    /// <summary>The change was for a column family this replica does not have (or does not replicate).</summary>
    FamilyMissing = 5,

    /// <summary>
    /// A foreign key with <c>Cascade</c>: a child was deleted because sync
    /// removed its parent (or brought it without one). The record's loser value is the child's.
    /// </summary>
    ChildDeleted = 6,

    /// <summary>
    /// A foreign key with <c>Restrict</c>: a peer's delete of a parent that
    /// has children here lost; the parent was written again (a new change, so every replica keeps it).
    /// </summary>
    ParentRestored = 7,

    /// <summary>
    /// A foreign key with <c>Restrict</c>: a peer's child arrived whose parent
    /// is deleted here; it is kept, since the replica it came from restores the parent when the
    /// delete reaches it. <c>LatticeDb.VerifyIntegrity</c> reports it until then.
    /// </summary>
    OrphanKept = 8,
}

/// <summary>
/// One recorded resolution (<c>LatticeDb.GetConflictHistory</c>, <c>lkv conflicts</c>): which
/// write won, which lost, and the losing value, so nothing is lost without a record of why.
/// </summary>
public sealed record ConflictRecord(DateTimeOffset Time, string ColumnFamily, byte[] Key, string Resolver, ConflictOutcome Outcome,
    ChangeVersion Winner, ChangeVersion Loser, byte[]? LoserValue);

/// <summary>A value kept beside the current one by <see cref="ConflictResolver.KeepBoth"/>.</summary>
public sealed record ConflictSibling(byte[]? Value, ChangeVersion Version);
