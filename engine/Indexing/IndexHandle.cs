using LatticeKV.Indexing;

namespace LatticeKV;

/// <summary>
/// Names a secondary index of an open database (<see cref="LatticeDb.CreateIndex"/>,
/// <see cref="LatticeDb.ListIndexes"/>). Valid until the index is dropped or the database closes.
/// </summary>
public sealed class IndexHandle
{
    internal IndexHandle(LiveIndex index) => Index = index;

    internal LiveIndex Index { get; }

    /// <summary>The index's name.</summary>
    public string Name => Index.Name;

    /// <summary>The column family it indexes.</summary>
    public ColumnFamilyHandle ColumnFamily => Index.Primary;

    /// <summary>Building until its background build is done, then Ready.</summary>
    public IndexState State => Index.State;

    /// <summary>Whether it is a unique index.</summary>
    public bool Unique => Index.Unique;

    /// <summary>Whether it is a full-text index (searched with <see cref="LatticeDb.Search"/>).</summary>
    public bool IsText => Index.IsText;

    /// <summary>A description of its extractor, such as <c>json($.account)</c>.</summary>
    public string Extractor => Index.Extractor.ToString();

    /// <summary>
    /// Waits until the index is no longer Building; returns false when <paramref name="timeout"/>
    /// passes first. Check <see cref="State"/> afterwards (Ready, or Failed).
    /// </summary>
    public bool WaitUntilReady(TimeSpan timeout, CancellationToken cancellation = default) => Index.WaitSettled(timeout, cancellation);

    /// <inheritdoc/>
    public override string ToString() => Name;
}
