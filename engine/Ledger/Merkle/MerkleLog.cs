namespace LatticeKV.Ledger.Merkle;

/// <summary>
/// Append-only RFC 9162 Merkle tree whose leaves and tiles live in one column family
/// (FORMAT.md §22.2). Leaf data is stored by index; each full tile (256 hashes of one level
/// and the interior rows above them) is written once, in the batch that completes it, and
/// never changes. The right edge (at most one partial tile per level) lives in memory and is
/// rebuilt from the stored leaves and tiles at <see cref="Open"/>.
/// Writing: <see cref="Stage"/> adds a leaf's writes to the caller's batch, and the caller
/// then calls <see cref="Commit"/> when the batch was written or <see cref="Abort"/> when it
/// was not; the caller serialises Stage..Commit/Abort. Reading (sizes, roots, proofs, leaves)
/// is thread-safe and sees the last committed tree, also while a stage is under way.
/// </summary>
internal sealed class MerkleLog
{
    // Constant after construction.
    private readonly LatticeDb _db;
    private readonly ColumnFamilyHandle _family;

    // The tree readers see; replaced whole by Commit (a volatile write publishes the tiles' entries with it).
    private volatile TreeState _committed;

    // Staging, guarded by the caller's serialisation of Stage..Commit/Abort.
    private readonly List<TreeState.Edge> _staged = [];
    private long _stagedSize;
    private bool _staging;

    private MerkleLog(LatticeDb db, ColumnFamilyHandle family, TreeState committed)
    {
        _db = db;
        _family = family;
        _committed = committed;
    }

    /// <summary>Opens the log stored in <paramref name="family"/> (empty when it holds no leaf), rebuilding the right edge.</summary>
    /// <exception cref="CorruptionException">A leaf or tile the right edge needs is missing or malformed.</exception>
    internal static MerkleLog Open(LatticeDb db, ColumnFamilyHandle family)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(family);
        long size = StoredSize(db, family);
        return new MerkleLog(db, family, RebuildEdges(db, family, size));
    }

    /// <summary>Number of committed leaves.</summary>
    internal long Size => _committed.Size;

    /// <summary>The column family holding the log.</summary>
    internal ColumnFamilyHandle Family => _family;

    /// <summary>
    /// Adds the writes that store <paramref name="leafData"/> as the next leaf (and any tiles
    /// it completes) to <paramref name="batch"/>; returns the leaf's index. Several stages may
    /// precede one <see cref="Commit"/>; indexes follow on from each other.
    /// </summary>
    internal long Stage(WriteBatch batch, ReadOnlySpan<byte> leafData)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (!_staging) BeginStage();
        long index = _stagedSize;
        // First, so that a refused leaf (too large) leaves the stage as it was.
        batch.Put(_family, MerkleKeys.LeafKey(index), leafData);
        Span<byte> hash = stackalloc byte[MerkleProof.HashSize];
        MerkleProof.HashLeaf(leafData, hash);
        AddToLevel(batch, 0, hash);
        _stagedSize = index + 1;
        return index;
    }

    /// <summary>The batch holding the staged leaves was written: they become part of the tree.</summary>
    internal void Commit()
    {
        if (!_staging) return;
        var edges = new TreeState.Edge[_staged.Count];
        for (int i = 0; i < edges.Length; i++) edges[i] = _staged[i] with { Count = _staged[i].Tile.Count };
        _committed = new TreeState(_stagedSize, edges);
        _staging = false;
    }

    /// <summary>The batch holding the staged leaves was not written: forget them.</summary>
    internal void Abort()
    {
        if (!_staging) return;
        foreach (var edge in _committed.Edges) edge.Tile.Truncate(edge.Count);
        _staged.Clear();
        _staging = false;
    }

    /// <summary>RFC 9162 MTH of the first <paramref name="treeSize"/> leaves (0 ≤ treeSize ≤ <see cref="Size"/>).</summary>
    internal byte[] RootHash(long treeSize)
    {
        var state = _committed;
        CheckSize(treeSize, state, nameof(treeSize));
        if (treeSize == 0) return MerkleProof.EmptyRootHash();
        using var nodes = new TileNodes(_db, _family, state);
        return MerklePaths.RangeHash(nodes, 0, treeSize);
    }

    /// <summary>The RFC 9162 leaf hash of leaf <paramref name="leafIndex"/>, from the tiles.</summary>
    internal byte[] LeafHash(long leafIndex)
    {
        var state = _committed;
        CheckIndex(leafIndex, state.Size, nameof(leafIndex));
        using var nodes = new TileNodes(_db, _family, state);
        var hash = new byte[MerkleProof.HashSize];
        nodes.Read(0, leafIndex, hash);
        return hash;
    }

    /// <summary>The stored data of leaf <paramref name="leafIndex"/>, read with <paramref name="read"/> (a full scan passes one that leaves the block cache alone).</summary>
    internal byte[] LeafData(long leafIndex, ReadOptions? read = null)
    {
        CheckIndex(leafIndex, Size, nameof(leafIndex));
        return _db.Get(_family, MerkleKeys.LeafKey(leafIndex), read)
            ?? throw new CorruptionException($"Merkle leaf {leafIndex} is missing from family '{_family.Name}'");
    }

    /// <summary>The RFC 9162 inclusion proof of leaf <paramref name="leafIndex"/> in the tree of the first <paramref name="treeSize"/> leaves.</summary>
    internal InclusionProof GetInclusionProof(long leafIndex, long treeSize)
    {
        var state = _committed;
        CheckSize(treeSize, state, nameof(treeSize));
        CheckIndex(leafIndex, treeSize, nameof(leafIndex));
        using var nodes = new TileNodes(_db, _family, state);
        return new InclusionProof(leafIndex, treeSize, MerklePaths.Inclusion(nodes, leafIndex, treeSize));
    }

    /// <summary>The RFC 9162 consistency proof between the trees of <paramref name="oldSize"/> and <paramref name="newSize"/> leaves (empty when oldSize is 0 or equals newSize).</summary>
    internal ConsistencyProof GetConsistencyProof(long oldSize, long newSize)
    {
        var state = _committed;
        CheckSize(newSize, state, nameof(newSize));
        if (oldSize < 0 || oldSize > newSize)
            throw new InvalidArgumentException($"old size {oldSize} is not between 0 and the new size {newSize}", nameof(oldSize));
        if (oldSize == 0 || oldSize == newSize) return new ConsistencyProof(oldSize, newSize, []);
        using var nodes = new TileNodes(_db, _family, state);
        return new ConsistencyProof(oldSize, newSize, MerklePaths.Consistency(nodes, oldSize, newSize));
    }

    /// <summary>
    /// Recomputes every leaf hash and tile from the stored leaf data and compares them with the
    /// stored tiles and the in-memory right edge. Run it while no stage is being written.
    /// </summary>
    internal MerkleAudit Audit() => MerkleAuditor.Run(_db, _family, _committed);

    private void BeginStage()
    {
        var state = _committed;
        _staged.Clear();
        _staged.AddRange(state.Edges);
        _stagedSize = state.Size;
        _staging = true;
    }

    /// <summary>Appends a hash to the partial tile of <paramref name="level"/>; a tile it fills is written and its root carried up.</summary>
    private void AddToLevel(WriteBatch batch, int level, ReadOnlySpan<byte> hash)
    {
        Span<byte> carry = stackalloc byte[MerkleProof.HashSize];
        hash.CopyTo(carry);
        while (true)
        {
            if (level == _staged.Count) _staged.Add(new TreeState.Edge(new MerkleTile(), 0, 0));
            var edge = _staged[level];
            edge.Tile.Append(carry);
            if (!edge.Tile.IsFull) return;
            batch.Put(_family, MerkleKeys.TileKey(level, edge.TileIndex), edge.Tile.Stored);
            edge.Tile.Root.CopyTo(carry);
            // A new object: the committed state may still name the full one.
            _staged[level] = new TreeState.Edge(new MerkleTile(), edge.TileIndex + 1, 0);
            level++;
        }
    }

    /// <summary>Leaves stored in the family: one more than the last leaf key's index.</summary>
    private static long StoredSize(LatticeDb db, ColumnFamilyHandle family)
    {
        using var it = db.NewIterator(family, new ReadOptions
        {
            IterateLowerBound = [MerkleKeys.Leaf],
            IterateUpperBound = MerkleKeys.PrefixEnd(MerkleKeys.Leaf),
        });
        it.SeekToLast();
        if (!it.Valid) return 0;
        if (!MerkleKeys.TryParseLeaf(it.Key, out long last) || last == long.MaxValue)
            throw new CorruptionException($"malformed Merkle leaf key in family '{family.Name}'");
        return last + 1;
    }

    /// <summary>The partial tile of each level for a tree of <paramref name="size"/> leaves, from the last leaves and full tiles.</summary>
    private static TreeState RebuildEdges(LatticeDb db, ColumnFamilyHandle family, long size)
    {
        var edges = new List<TreeState.Edge>();
        var buffer = new byte[MerkleTile.StoredSize + 1];
        Span<byte> hash = stackalloc byte[MerkleProof.HashSize];
        for (int level = 0; TreeState.EntriesAt(size, level) > 0; level++)
        {
            long entries = TreeState.EntriesAt(size, level);
            long tileIndex = entries >> MerkleTile.Height;
            int count = (int)(entries & (MerkleTile.Width - 1));
            var tile = new MerkleTile();
            for (long p = tileIndex << MerkleTile.Height; p < entries; p++)
            {
                if (level == 0)
                {
                    var data = db.Get(family, MerkleKeys.LeafKey(p))
                        ?? throw new CorruptionException($"Merkle leaf {p} is missing from family '{family.Name}'");
                    MerkleProof.HashLeaf(data, hash);
                }
                else
                {
                    MerkleTile.RootOfStored(TileNodes.ReadStored(db, family, level - 1, p, buffer), hash);
                }
                tile.Append(hash);
            }
            edges.Add(new TreeState.Edge(tile, tileIndex, count));
        }
        return new TreeState(size, [.. edges]);
    }

    private static void CheckSize(long treeSize, TreeState state, string name)
    {
        if (treeSize < 0 || treeSize > state.Size)
            throw new InvalidArgumentException($"tree size {treeSize} is not between 0 and the log's size {state.Size}", name);
    }

    private static void CheckIndex(long leafIndex, long treeSize, string name)
    {
        if (leafIndex < 0 || leafIndex >= treeSize)
            throw new InvalidArgumentException($"leaf index {leafIndex} is not below the tree size {treeSize}", name);
    }
}
