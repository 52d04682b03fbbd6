using System.Buffers;

namespace LatticeKV.Ledger.Merkle;

/// <summary>
/// Perfect-subtree hashes of one committed tree: from the in-memory right-edge tiles of its
/// <see cref="TreeState"/>, or from the stored full tiles (read through the database and its
/// block cache, one read per tile level a proof touches; the last tile read per level is kept
/// for the rest of the proof). Not thread-safe: one instance per proof, disposed after it.
/// </summary>
internal sealed class TileNodes(LatticeDb db, ColumnFamilyHandle family, TreeState state) : IPerfectNodes, IDisposable
{
    private readonly (long Index, byte[]? Bytes)[] _cache = new (long, byte[]?)[state.Edges.Length];

    public void Read(int level, long index, Span<byte> destination)
    {
        int tileLevel = level / MerkleTile.Height;
        int row = level % MerkleTile.Height;
        int rowBits = MerkleTile.Height - row;
        long tileIndex = index >> rowBits;
        int within = (int)(index - (tileIndex << rowBits));
        if (tileLevel >= state.Edges.Length) throw OutsideTree(level, index);
        var edge = state.Edges[tileLevel];
        if (tileIndex == edge.TileIndex)
        {
            if (within >= edge.Count >> row) throw OutsideTree(level, index);
            edge.Tile.Node(row, within).CopyTo(destination);
            return;
        }
        if (tileIndex > edge.TileIndex) throw OutsideTree(level, index);
        MerkleTile.At(StoredTile(tileLevel, tileIndex), row, within).CopyTo(destination);
    }

    public void Dispose()
    {
        for (int i = 0; i < _cache.Length; i++)
        {
            if (_cache[i].Bytes is { } bytes) ArrayPool<byte>.Shared.Return(bytes);
            _cache[i] = default;
        }
    }

    /// <summary>Reads the stored tile (<paramref name="level"/>, <paramref name="index"/>), which must be full and present.</summary>
    internal static ReadOnlySpan<byte> ReadStored(LatticeDb db, ColumnFamilyHandle family, int level, long index, byte[] buffer)
    {
        if (!db.TryGet(family, MerkleKeys.TileKey(level, index), buffer, out int length))
            throw new CorruptionException($"Merkle tile (level {level}, index {index}) is missing from family '{family.Name}'");
        if (length != MerkleTile.StoredSize)
            throw new CorruptionException($"Merkle tile (level {level}, index {index}) in family '{family.Name}' has {length} bytes, not {MerkleTile.StoredSize}");
        return buffer.AsSpan(0, MerkleTile.StoredSize);
    }

    private ReadOnlySpan<byte> StoredTile(int level, long index)
    {
        var (cachedIndex, bytes) = _cache[level];
        if (bytes is not null && cachedIndex == index) return bytes.AsSpan(0, MerkleTile.StoredSize);
        // One byte more than a tile so that a longer stored value is seen as such.
        bytes ??= ArrayPool<byte>.Shared.Rent(MerkleTile.StoredSize + 1);
        _cache[level] = (-1, bytes);
        var tile = ReadStored(db, family, level, index, bytes);
        _cache[level] = (index, bytes);
        return tile;
    }

    private static InvalidOperationException OutsideTree(int level, long index)
        => new($"node (level {level}, index {index}) is outside the tree");
}
