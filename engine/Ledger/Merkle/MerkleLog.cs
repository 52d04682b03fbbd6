using System.Buffers.Binary;
using System.Security.Cryptography;

namespace LatticeKV.Ledger.Merkle;

/// <summary>
/// STUB of the RFC 9162 Merkle log, standing in for the tiled implementation built apart (the lead
/// replaces this file at merge; the ledger uses only these members). Leaves are stored one per key
/// ("L" and the big-endian index) and their hashes kept in memory; trees and proofs are computed
/// from them by RFC 9162's recursive definitions. <see cref="Stage"/> may be called several times
/// before one <see cref="Commit"/> or <see cref="Abort"/>; the caller serialises that sequence.
/// </summary>
internal sealed class MerkleLog
{
    private static readonly byte[] EmptyRoot = SHA256.HashData([]);

    private readonly LatticeDb _db;
    private readonly ColumnFamilyHandle _family;
    private readonly List<byte[]> _leafHashes = []; // committed; guarded by this
    private readonly List<byte[]> _staged = []; // guarded by the caller's serialisation

    private MerkleLog(LatticeDb db, ColumnFamilyHandle family)
    {
        _db = db;
        _family = family;
    }

    internal static MerkleLog Open(LatticeDb db, ColumnFamilyHandle family)
    {
        var log = new MerkleLog(db, family);
        using var it = db.NewIterator(family);
        for (it.SeekToFirst(); it.Valid; it.Next())
        {
            if (it.Key.Length != 9 || it.Key[0] != (byte)'L' || BinaryPrimitives.ReadInt64BigEndian(it.Key[1..]) != log._leafHashes.Count)
                throw new CorruptionException("Merkle log leaves are not contiguous.");
            log._leafHashes.Add(LeafHash(it.Value));
        }
        return log;
    }

    internal long Size
    {
        get { lock (_leafHashes) return _leafHashes.Count; }
    }

    internal long Stage(WriteBatch batch, ReadOnlySpan<byte> leafData)
    {
        long index = Size + _staged.Count;
        batch.Put(_family, Key(index), leafData);
        _staged.Add(LeafHash(leafData));
        return index;
    }

    internal void Commit()
    {
        lock (_leafHashes) _leafHashes.AddRange(_staged);
        _staged.Clear();
    }

    internal void Abort() => _staged.Clear();

    internal byte[] RootHash(long treeSize)
    {
        var leaves = Snapshot(treeSize, nameof(treeSize));
        return leaves.Count == 0 ? (byte[])EmptyRoot.Clone() : Mth(leaves, 0, leaves.Count);
    }

    internal byte[] LeafData(long leafIndex)
    {
        if (leafIndex < 0 || leafIndex >= Size) throw new LedgerArgumentException("No leaf has this index.", nameof(leafIndex));
        return _db.Get(_family, Key(leafIndex)) ?? throw new CorruptionException("A Merkle leaf is missing.");
    }

    internal InclusionProof GetInclusionProof(long leafIndex, long treeSize)
    {
        var leaves = Snapshot(treeSize, nameof(treeSize));
        if (leafIndex < 0 || leafIndex >= treeSize) throw new LedgerArgumentException("The leaf index must be below the tree size.", nameof(leafIndex));
        var path = new List<byte[]>();
        Path((int)leafIndex, leaves, 0, leaves.Count, path);
        return new InclusionProof(leafIndex, treeSize, path);
    }

    internal ConsistencyProof GetConsistencyProof(long oldSize, long newSize)
    {
        var leaves = Snapshot(newSize, nameof(newSize));
        if (oldSize < 0 || oldSize > newSize) throw new LedgerArgumentException("The old size must be between 0 and the new size.", nameof(oldSize));
        var proof = new List<byte[]>();
        if (oldSize > 0 && oldSize < newSize) SubProof((int)oldSize, leaves, 0, leaves.Count, true, proof);
        return new ConsistencyProof(oldSize, newSize, proof);
    }

    private List<byte[]> Snapshot(long treeSize, string name)
    {
        lock (_leafHashes)
        {
            if (treeSize < 0 || treeSize > _leafHashes.Count) throw new LedgerArgumentException("The tree size must be between 0 and the log's size.", name);
            return _leafHashes.GetRange(0, (int)treeSize);
        }
    }

    private static byte[] Key(long index)
    {
        var key = new byte[9];
        key[0] = (byte)'L';
        BinaryPrimitives.WriteInt64BigEndian(key.AsSpan(1), index);
        return key;
    }

    private static byte[] LeafHash(ReadOnlySpan<byte> data)
    {
        var buffer = new byte[data.Length + 1];
        data.CopyTo(buffer.AsSpan(1));
        return SHA256.HashData(buffer);
    }

    private static byte[] Node(byte[] left, byte[] right)
    {
        var buffer = new byte[65];
        buffer[0] = 1;
        left.CopyTo(buffer, 1);
        right.CopyTo(buffer, 33);
        return SHA256.HashData(buffer);
    }

    private static int Split(int n)
    {
        int k = 1;
        while (k << 1 < n) k <<= 1;
        return k;
    }

    private static byte[] Mth(List<byte[]> leaves, int start, int n)
    {
        if (n == 1) return leaves[start];
        int k = Split(n);
        return Node(Mth(leaves, start, k), Mth(leaves, start + k, n - k));
    }

    private static void Path(int m, List<byte[]> leaves, int start, int n, List<byte[]> path)
    {
        if (n == 1) return;
        int k = Split(n);
        if (m < k)
        {
            Path(m, leaves, start, k, path);
            path.Add(Mth(leaves, start + k, n - k));
        }
        else
        {
            Path(m - k, leaves, start + k, n - k, path);
            path.Add(Mth(leaves, start, k));
        }
    }

    private static void SubProof(int m, List<byte[]> leaves, int start, int n, bool complete, List<byte[]> proof)
    {
        if (m == n)
        {
            if (!complete) proof.Add(Mth(leaves, start, n));
            return;
        }
        int k = Split(n);
        if (m <= k)
        {
            SubProof(m, leaves, start, k, complete, proof);
            proof.Add(Mth(leaves, start + k, n - k));
        }
        else
        {
            SubProof(m - k, leaves, start + k, n - k, false, proof);
            proof.Add(Mth(leaves, start, k));
        }
    }
}
