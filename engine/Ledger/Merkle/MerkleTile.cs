namespace LatticeKV.Ledger.Merkle;

/// <summary>
/// One tile of the tree (FORMAT.md §22.2): 256 hashes of one tree level ("row 0") and the
/// interior rows above them inside the tile, row r holding 256 &gt;&gt; r hashes, up to the
/// tile's root (row 8, one hash). A stored tile keeps rows 0 to 7 (510 hashes); its root is
/// an entry of row 0 of the tile above. Rows are stored so that a proof reads one hash per
/// level instead of rehashing up to 255 nodes per tile.
/// In memory a tile fills from the left (<see cref="Append"/>); entries at or beyond
/// <see cref="Count"/> may be rewritten, entries below it never are, so a reader holding a
/// count may read below it while a writer appends.
/// </summary>
internal sealed class MerkleTile
{
    /// <summary>Tree levels per tile. Persistent format: do not change.</summary>
    internal const int Height = 8;

    /// <summary>Hashes in row 0 of a tile.</summary>
    internal const int Width = 1 << Height;

    /// <summary>Hashes stored per full tile: rows 0 to 7.</summary>
    internal const int StoredHashes = 2 * Width - 2;

    /// <summary>Bytes of a stored tile value.</summary>
    internal const int StoredSize = StoredHashes * MerkleProof.HashSize;

    // Rows 0 to 8: 511 hashes.
    private readonly byte[] _hashes = new byte[(2 * Width - 1) * MerkleProof.HashSize];

    /// <summary>Entries of row 0 written so far (0 to 256).</summary>
    internal int Count { get; private set; }

    /// <summary>True when row 0 holds 256 hashes and the root is known.</summary>
    internal bool IsFull => Count == Width;

    /// <summary>The tile's root (row 8); valid when <see cref="IsFull"/>.</summary>
    internal ReadOnlySpan<byte> Root => Node(Height, 0);

    /// <summary>Rows 0 to 7 as stored (valid when <see cref="IsFull"/>).</summary>
    internal ReadOnlySpan<byte> Stored => _hashes.AsSpan(0, StoredSize);

    /// <summary>Index of the first hash of <paramref name="row"/> in a tile (stored or in memory).</summary>
    internal static int RowStart(int row) => 2 * Width - (2 * Width >> row);

    /// <summary>Hash <paramref name="index"/> of <paramref name="row"/>.</summary>
    internal ReadOnlySpan<byte> Node(int row, int index) => At(_hashes, row, index);

    /// <summary>Hash <paramref name="index"/> of <paramref name="row"/> in a stored tile's bytes.</summary>
    internal static ReadOnlySpan<byte> At(ReadOnlySpan<byte> tile, int row, int index)
        => tile.Slice((RowStart(row) + index) * MerkleProof.HashSize, MerkleProof.HashSize);

    /// <summary>Adds the next row-0 hash and every interior node it completes.</summary>
    internal void Append(ReadOnlySpan<byte> hash)
    {
        if (IsFull) throw new InvalidOperationException("the tile is full");
        int index = Count;
        hash.CopyTo(Slot(0, index));
        for (int row = 0; row < Height && (index & 1) == 1; row++, index >>= 1)
        {
            MerkleProof.HashChildren(Node(row, index - 1), Node(row, index), Slot(row + 1, index >> 1));
        }
        Count++;
    }

    /// <summary>Forgets the entries at or beyond <paramref name="count"/> (an aborted stage).</summary>
    internal void Truncate(int count) => Count = count;

    /// <summary>The root of a stored tile's bytes, hashed from its row 7.</summary>
    internal static void RootOfStored(ReadOnlySpan<byte> tile, Span<byte> destination)
        => MerkleProof.HashChildren(At(tile, Height - 1, 0), At(tile, Height - 1, 1), destination);

    private Span<byte> Slot(int row, int index)
        => _hashes.AsSpan((RowStart(row) + index) * MerkleProof.HashSize, MerkleProof.HashSize);
}
