namespace LatticeKV;

/// <summary>
/// A cursor over one column family as a <see cref="Transaction"/> sees it: its own puts and
/// deletes over the database, in key order, both directions. Same contract as
/// <see cref="LatticeIterator"/>; it also throws <see cref="TransactionNotActiveException"/>
/// once its transaction has ended. Not thread-safe. Dispose it when done.
/// </summary>
public abstract class TransactionIterator : IDisposable
{
    private protected TransactionIterator() { }

    /// <summary>True when the iterator is positioned at an entry.</summary>
    public abstract bool Valid { get; }

    /// <summary>The current key. Valid until the iterator moves.</summary>
    public abstract ReadOnlySpan<byte> Key { get; }

    /// <summary>The current value. Valid until the iterator moves.</summary>
    public abstract ReadOnlySpan<byte> Value { get; }

    /// <summary>Positions at the first key (at or after the lower bound, if set).</summary>
    public abstract void SeekToFirst();

    /// <summary>Positions at the last key (before the upper bound, if set).</summary>
    public abstract void SeekToLast();

    /// <summary>Positions at the first key at or after <paramref name="target"/>.</summary>
    public abstract void Seek(ReadOnlySpan<byte> target);

    /// <summary>Positions at the last key at or before <paramref name="target"/>.</summary>
    public abstract void SeekForPrev(ReadOnlySpan<byte> target);

    /// <summary>Moves to the next key. Requires <see cref="Valid"/>.</summary>
    public abstract void Next();

    /// <summary>Moves to the previous key. Requires <see cref="Valid"/>.</summary>
    public abstract void Prev();

    /// <summary>Releases what the iterator reads from.</summary>
    public abstract void Dispose();
}
