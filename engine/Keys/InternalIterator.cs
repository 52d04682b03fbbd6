namespace LatticeKV.Keys;

/// <summary>
/// A cursor over internal keys in <see cref="InternalKeyComparator"/> order: the common shape of
/// memtable, block, table, level and merging iterators. <see cref="Key"/> and <see cref="Value"/>
/// are valid until the next positioning call. Damage found while moving throws
/// <see cref="CorruptionException"/>.
/// </summary>
internal abstract class InternalIterator : IDisposable
{
    public abstract bool Valid { get; }

    public abstract ReadOnlySpan<byte> Key { get; }

    public abstract ReadOnlySpan<byte> Value { get; }

    public abstract void SeekToFirst();

    public abstract void SeekToLast();

    /// <summary>Positions at the first entry at or after <paramref name="target"/> (an internal key).</summary>
    public abstract void Seek(ReadOnlySpan<byte> target);

    /// <summary>Positions at the last entry at or before <paramref name="target"/>.</summary>
    public abstract void SeekForPrev(ReadOnlySpan<byte> target);

    public abstract void Next();

    public abstract void Prev();

    /// <summary>The number of stages of <see cref="PrepareSeek"/>.</summary>
    public const int SeekStages = 3;

    /// <summary>
    /// Stage <paramref name="stage"/> (0 to <see cref="SeekStages"/> − 1, in order) of preparing
    /// a <see cref="Seek"/> or <see cref="SeekForPrev"/> to <paramref name="target"/> that follows
    /// the last stage; a seek to another target, or after other calls, must still be right, merely
    /// unprepared. A seek into
    /// a table waits on memory three times in a row (the block's cache slot, the block, the
    /// block's entries); a merging iterator runs one stage for every child before the next stage,
    /// so each stage's loads overlap across children instead of queuing behind each other. Only
    /// starts loads and remembers what it found; the default prepares nothing.
    /// </summary>
    public virtual void PrepareSeek(ReadOnlySpan<byte> target, int stage) { }

    public virtual void Dispose() { }
}

/// <summary>An iterator over nothing.</summary>
internal sealed class EmptyIterator : InternalIterator
{
    public static readonly EmptyIterator Instance = new();

    public override bool Valid => false;

    public override ReadOnlySpan<byte> Key => throw new InvalidOperationException("Iterator is not valid.");

    public override ReadOnlySpan<byte> Value => throw new InvalidOperationException("Iterator is not valid.");

    public override void SeekToFirst() { }

    public override void SeekToLast() { }

    public override void Seek(ReadOnlySpan<byte> target) { }

    public override void SeekForPrev(ReadOnlySpan<byte> target) { }

    public override void Next() { }

    public override void Prev() { }
}
