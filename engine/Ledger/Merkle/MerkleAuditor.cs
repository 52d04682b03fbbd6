namespace LatticeKV.Ledger.Merkle;

/// <summary>
/// Rebuilds a log's tiles from its stored leaves and compares: every stored full tile byte for
/// byte, the in-memory right edge entry by entry, and the set of stored tile keys (none
/// missing, none beyond the tree). Damage to a leaf inside a full tile shows as a tile
/// mismatch; damage to a right-edge leaf made before the log was opened is folded into the
/// rebuilt edge, which only a stored checkpoint's root reveals (<see cref="CheckpointStore"/>).
/// </summary>
internal static class MerkleAuditor
{
    // Reports stop growing past this many lines: one damaged leaf early in a big log would
    // otherwise report every tile after it.
    private const int MaxProblems = 100;

    private static readonly ReadOptions NoCache = new() { FillCache = false };

    internal static MerkleAudit Run(LatticeDb db, ColumnFamilyHandle family, TreeState state)
    {
        var problems = new List<string>();
        var rebuilt = new List<(MerkleTile Tile, long Index)>();
        long leaves = 0, tiles = 0;
        bool aligned = true;
        Span<byte> hash = stackalloc byte[MerkleProof.HashSize];

        // An audit reads every leaf and tile once: caching them would only evict what readers use.
        using (var it = db.NewIterator(family, new ReadOptions
        {
            IterateLowerBound = [MerkleKeys.Leaf],
            IterateUpperBound = MerkleKeys.PrefixEnd(MerkleKeys.Leaf),
            FillCache = false,
        }))
        {
            for (it.SeekToFirst(); it.Valid; it.Next())
            {
                if (!MerkleKeys.TryParseLeaf(it.Key, out long index))
                {
                    Add(problems, $"malformed leaf key {Convert.ToHexString(it.Key)}");
                    continue;
                }
                if (index >= state.Size)
                {
                    Add(problems, $"leaf {index} is beyond the tree size {state.Size}");
                    break;
                }
                if (index != leaves)
                {
                    // Every later hash would be misplaced: report the gap, compare no further.
                    Add(problems, $"leaves {leaves} to {index - 1} are missing");
                    aligned = false;
                    break;
                }
                MerkleProof.HashLeaf(it.Value, hash);
                tiles += AddLeafHash(db, family, rebuilt, hash, problems);
                leaves++;
            }
        }
        if (aligned && leaves < state.Size) Add(problems, $"leaves {leaves} to {state.Size - 1} are missing");
        else if (aligned) CompareEdges(state, rebuilt, problems);
        CheckTileKeys(db, family, state.Size, problems);
        return new MerkleAudit(leaves, tiles, problems);
    }

    /// <summary>Adds a leaf hash to the rebuilt tiles; returns how many stored tiles it completed and compared.</summary>
    private static int AddLeafHash(LatticeDb db, ColumnFamilyHandle family, List<(MerkleTile Tile, long Index)> rebuilt, ReadOnlySpan<byte> leafHash, List<string> problems)
    {
        Span<byte> carry = stackalloc byte[MerkleProof.HashSize];
        leafHash.CopyTo(carry);
        int compared = 0;
        for (int level = 0; ; level++)
        {
            if (level == rebuilt.Count) rebuilt.Add((new MerkleTile(), 0));
            var (tile, index) = rebuilt[level];
            tile.Append(carry);
            if (!tile.IsFull) return compared;
            CompareStored(db, family, level, index, tile, problems);
            compared++;
            tile.Root.CopyTo(carry);
            rebuilt[level] = (new MerkleTile(), index + 1);
        }
    }

    private static void CompareStored(LatticeDb db, ColumnFamilyHandle family, int level, long index, MerkleTile expected, List<string> problems)
    {
        var stored = db.Get(family, MerkleKeys.TileKey(level, index), NoCache);
        if (stored is null)
        {
            Add(problems, $"tile (level {level}, index {index}) is missing");
            return;
        }
        if (stored.Length != MerkleTile.StoredSize)
        {
            Add(problems, $"tile (level {level}, index {index}) has {stored.Length} bytes, not {MerkleTile.StoredSize}");
            return;
        }
        int differ = expected.Stored.CommonPrefixLength(stored);
        if (differ < stored.Length)
        {
            var (row, entry) = Position(differ / MerkleProof.HashSize);
            Add(problems, $"tile (level {level}, index {index}) differs from its recomputed hashes at row {row}, entry {entry}");
        }
    }

    /// <summary>The in-memory right edge must equal the edge rebuilt from the leaves.</summary>
    private static void CompareEdges(TreeState state, List<(MerkleTile Tile, long Index)> rebuilt, List<string> problems)
    {
        if (rebuilt.Count != state.Edges.Length)
        {
            Add(problems, $"the right edge has {state.Edges.Length} levels, the leaves give {rebuilt.Count}");
            return;
        }
        for (int level = 0; level < rebuilt.Count; level++)
        {
            var edge = state.Edges[level];
            var (tile, index) = rebuilt[level];
            if (edge.TileIndex != index || edge.Count != tile.Count)
            {
                Add(problems, $"the right edge at level {level} is tile {edge.TileIndex} with {edge.Count} entries, the leaves give tile {index} with {tile.Count}");
                continue;
            }
            for (int row = 0; row < MerkleTile.Height; row++)
            {
                for (int i = 0; i < edge.Count >> row; i++)
                {
                    if (!edge.Tile.Node(row, i).SequenceEqual(tile.Node(row, i)))
                    {
                        Add(problems, $"the right edge at level {level} differs from the leaves at row {row}, entry {i}");
                        row = MerkleTile.Height;
                        break;
                    }
                }
            }
        }
    }

    /// <summary>Every stored tile key names a full tile of the tree.</summary>
    private static void CheckTileKeys(LatticeDb db, ColumnFamilyHandle family, long size, List<string> problems)
    {
        using var it = db.NewIterator(family, new ReadOptions
        {
            IterateLowerBound = [MerkleKeys.Tile],
            IterateUpperBound = MerkleKeys.PrefixEnd(MerkleKeys.Tile),
        });
        for (it.SeekToFirst(); it.Valid; it.Next())
        {
            if (!MerkleKeys.TryParseTile(it.Key, out int level, out long index))
                Add(problems, $"malformed tile key {Convert.ToHexString(it.Key)}");
            else if (index >= TreeState.EntriesAt(size, level) >> MerkleTile.Height)
                Add(problems, $"tile (level {level}, index {index}) is beyond the tree size {size}");
        }
    }

    /// <summary>Row and entry of the hash at <paramref name="hashIndex"/> of a stored tile.</summary>
    private static (int Row, int Entry) Position(int hashIndex)
    {
        int row = 0;
        while (row + 1 < MerkleTile.Height && hashIndex >= MerkleTile.RowStart(row + 1)) row++;
        return (row, hashIndex - MerkleTile.RowStart(row));
    }

    private static void Add(List<string> problems, string problem)
    {
        if (problems.Count < MaxProblems) problems.Add(problem);
        else if (problems.Count == MaxProblems) problems.Add("more problems not listed");
    }
}
