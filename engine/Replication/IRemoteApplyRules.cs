namespace LatticeKV.Replication;

/// <summary>
/// What the database's integrity rules say about a peer's changes as the remote apply stores them
/// (set by the database at open; see <see cref="RemoteChangeApplier"/>): a value the family's
/// validator rejects is quarantined instead of stored; foreign keys act on what a part did once
/// it is judged. Must not throw for a bad value, only answer; called under the applier's lock.
/// </summary>
internal interface IRemoteApplyRules
{
    /// <summary>Whether values of <paramref name="family"/> are judged at all (it has a validator).</summary>
    bool Judges(ColumnFamilyHandle family);

    /// <summary>Why <paramref name="value"/> may not be stored under <paramref name="key"/> in <paramref name="family"/>, or null when it may.</summary>
    string? Reject(ColumnFamilyHandle family, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

    /// <summary>Whether <see cref="Complete"/> must see each part's writes (foreign keys exist).</summary>
    bool ActsAfterApply { get; }

    /// <summary>
    /// Called once a part's changes are judged and before it is written: finds what they broke
    /// (children of parents they deleted, children they brought whose parents are gone) and
    /// applies each foreign key's rule in the same batch through <paramref name="context"/>.
    /// </summary>
    void Complete(RemoteApplyContext context);
}
