namespace LatticeKV.Ledger.Merkle;

/// <summary>
/// A committed tree as readers see it: its size and, per tile level, the right-edge tile that
/// is not full yet (in memory only) with how many of its row-0 entries belong to this tree.
/// Immutable once published; the tiles it names are only appended to beyond those counts.
/// </summary>
internal sealed class TreeState(long size, TreeState.Edge[] edges)
{
    /// <summary>The partial tile of one level: <see cref="TileIndex"/> is its position in the level, <see cref="Count"/> its entries in this tree.</summary>
    internal readonly record struct Edge(MerkleTile Tile, long TileIndex, int Count);

    internal static readonly TreeState Empty = new(0, []);

    /// <summary>Leaves in the tree.</summary>
    internal long Size { get; } = size;

    /// <summary>Level 0 first; as many levels as the size has tiles (size &gt;&gt; 8·level &gt; 0).</summary>
    internal Edge[] Edges { get; } = edges;

    /// <summary>Entries of tile level <paramref name="level"/> in a tree of <paramref name="size"/> leaves: its level-8·level nodes.</summary>
    internal static long EntriesAt(long size, int level)
        => level * MerkleTile.Height >= 63 ? 0 : size >> (level * MerkleTile.Height);
}
