using System.Security.Cryptography;

namespace LatticeKV.Ledger;

/// <summary>
/// RFC 9162 Merkle tree hashing and proof verification, needing nothing but the proof and the
/// roots. Leaf hash: SHA-256(0x00 ‖ data); interior node: SHA-256(0x01 ‖ left ‖ right); the
/// empty tree's hash: SHA-256 of nothing. The verifiers follow RFC 9162 §2.1.3.2 and §2.1.4.2
/// step by step. They treat every argument as hostile: a wrong size, index or hash length
/// makes them return false; only a null list throws (<see cref="ArgumentNullException"/>).
/// Thread-safe.
/// </summary>
/// <example>
/// <code>
/// byte[] leaf = MerkleProof.HashLeaf(record);
/// bool ok = MerkleProof.VerifyInclusion(proof.LeafIndex, proof.TreeSize, leaf, proof.Hashes, checkpoint.RootHash);
/// </code>
/// </example>
public static class MerkleProof
{
    /// <summary>Length in bytes of every hash of the tree (SHA-256).</summary>
    public const int HashSize = 32;

    // A path longer than this cannot belong to a tree of at most 2^63 - 1 leaves.
    private const int MaxPathLength = 64;

    private const byte LeafPrefix = 0x00;
    private const byte NodePrefix = 0x01;

    // Leaf data up to this length is hashed from a stack copy; longer data incrementally.
    private const int StackLeafLimit = 1024;

    /// <summary>The root hash of the empty tree, SHA-256 of no bytes (a new array each call).</summary>
    public static byte[] EmptyRootHash() => SHA256.HashData(ReadOnlySpan<byte>.Empty);

    /// <summary>The RFC 9162 leaf hash of <paramref name="data"/>: SHA-256(0x00 ‖ data).</summary>
    public static byte[] HashLeaf(ReadOnlySpan<byte> data)
    {
        var hash = new byte[HashSize];
        HashLeaf(data, hash);
        return hash;
    }

    /// <summary>The RFC 9162 interior node hash: SHA-256(0x01 ‖ left ‖ right).</summary>
    public static byte[] HashChildren(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        var hash = new byte[HashSize];
        if (left.Length == HashSize && right.Length == HashSize)
        {
            HashChildren(left, right, hash);
            return hash;
        }
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        h.AppendData([NodePrefix]);
        h.AppendData(left);
        h.AppendData(right);
        h.GetHashAndReset(hash);
        return hash;
    }

    /// <summary>
    /// The root that <paramref name="proof"/> leads to from the leaf hash at
    /// <paramref name="leafIndex"/> in a tree of <paramref name="treeSize"/> leaves, or null when
    /// the proof cannot belong to such a tree (bad index, size, lengths or path length). The
    /// caller compares the result with a root it trusts.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="proof"/> is null.</exception>
    public static byte[]? RootFromInclusion(long leafIndex, long treeSize, ReadOnlySpan<byte> leafHash, IReadOnlyList<byte[]> proof)
    {
        ArgumentNullException.ThrowIfNull(proof);
        Span<byte> root = stackalloc byte[HashSize];
        return RootFromInclusion(leafIndex, treeSize, leafHash, proof, root) ? root.ToArray() : null;
    }

    /// <summary>
    /// RFC 9162 §2.1.3.2: true when <paramref name="proof"/> shows the leaf hash
    /// <paramref name="leafHash"/> at <paramref name="leafIndex"/> in the tree of
    /// <paramref name="treeSize"/> leaves whose root is <paramref name="rootHash"/>.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="proof"/> is null.</exception>
    public static bool VerifyInclusion(long leafIndex, long treeSize, ReadOnlySpan<byte> leafHash, IReadOnlyList<byte[]> proof, ReadOnlySpan<byte> rootHash)
    {
        ArgumentNullException.ThrowIfNull(proof);
        if (rootHash.Length != HashSize) return false;
        Span<byte> computed = stackalloc byte[HashSize];
        return RootFromInclusion(leafIndex, treeSize, leafHash, proof, computed)
            && CryptographicOperations.FixedTimeEquals(computed, rootHash);
    }

    /// <summary>
    /// RFC 9162 §2.1.4.2: true when <paramref name="proof"/> shows that the tree of
    /// <paramref name="newSize"/> leaves with root <paramref name="newRoot"/> extends the tree of
    /// <paramref name="oldSize"/> leaves with root <paramref name="oldRoot"/>. Equal sizes need
    /// an empty proof and equal roots; an old size of 0 needs an empty proof and the empty
    /// tree's root (<see cref="EmptyRootHash"/>) as <paramref name="oldRoot"/>.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="proof"/> is null.</exception>
    public static bool VerifyConsistency(long oldSize, long newSize, ReadOnlySpan<byte> oldRoot, ReadOnlySpan<byte> newRoot, IReadOnlyList<byte[]> proof)
    {
        ArgumentNullException.ThrowIfNull(proof);
        if (oldSize < 0 || newSize < oldSize || oldRoot.Length != HashSize || newRoot.Length != HashSize) return false;
        if (oldSize == newSize) return proof.Count == 0 && CryptographicOperations.FixedTimeEquals(oldRoot, newRoot);
        if (oldSize == 0) return proof.Count == 0 && CryptographicOperations.FixedTimeEquals(oldRoot, EmptyRootHash());

        // Step 1: an empty path proves nothing.
        if (proof.Count == 0 || proof.Count > MaxPathLength || !AllHashes(proof)) return false;
        ulong fn = (ulong)oldSize - 1;
        ulong sn = (ulong)newSize - 1;
        Span<byte> fr = stackalloc byte[HashSize];
        Span<byte> sr = stackalloc byte[HashSize];
        int next = 0;
        // Steps 2 and 5: the path starts with the old root when the old tree is a perfect
        // subtree (the RFC prepends it), else with the path's first hash.
        if (IsPowerOfTwo((ulong)oldSize)) oldRoot.CopyTo(fr);
        else proof[next++].CopyTo(fr);
        fr.CopyTo(sr);
        // Step 4: skip the levels where the old tree's last node is a right child.
        while ((fn & 1) == 1) { fn >>= 1; sn >>= 1; }
        // Step 6.
        for (; next < proof.Count; next++)
        {
            var c = proof[next];
            if (sn == 0) return false;
            if ((fn & 1) == 1 || fn == sn)
            {
                HashChildren(c, fr, fr);
                HashChildren(c, sr, sr);
                if ((fn & 1) == 0) ShiftToSetBitOrZero(ref fn, ref sn);
            }
            else
            {
                HashChildren(sr, c, sr);
            }
            fn >>= 1;
            sn >>= 1;
        }
        // Step 7.
        return sn == 0
            && CryptographicOperations.FixedTimeEquals(fr, oldRoot)
            && CryptographicOperations.FixedTimeEquals(sr, newRoot);
    }

    /// <summary>Writes SHA-256(0x00 ‖ data) to <paramref name="destination"/> (32 bytes).</summary>
    internal static void HashLeaf(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        if (data.Length <= StackLeafLimit)
        {
            Span<byte> input = stackalloc byte[data.Length + 1];
            input[0] = LeafPrefix;
            data.CopyTo(input[1..]);
            SHA256.HashData(input, destination);
            return;
        }
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        h.AppendData([LeafPrefix]);
        h.AppendData(data);
        h.GetHashAndReset(destination);
    }

    /// <summary>Writes SHA-256(0x01 ‖ left ‖ right) of two 32-byte hashes to <paramref name="destination"/>, which may alias either.</summary>
    internal static void HashChildren(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right, Span<byte> destination)
    {
        Span<byte> input = stackalloc byte[1 + 2 * HashSize];
        input[0] = NodePrefix;
        left.CopyTo(input.Slice(1, HashSize));
        right.CopyTo(input.Slice(1 + HashSize, HashSize));
        SHA256.HashData(input, destination);
    }

    /// <summary>RFC 9162 §2.1.3.2 steps 1 to 5, without the final comparison: false when the proof cannot fit the sizes.</summary>
    private static bool RootFromInclusion(long leafIndex, long treeSize, ReadOnlySpan<byte> leafHash, IReadOnlyList<byte[]> proof, Span<byte> r)
    {
        // Step 1.
        if (leafIndex < 0 || treeSize <= 0 || leafIndex >= treeSize) return false;
        if (leafHash.Length != HashSize || proof.Count > MaxPathLength || !AllHashes(proof)) return false;
        // Steps 2 and 3.
        ulong fn = (ulong)leafIndex;
        ulong sn = (ulong)treeSize - 1;
        leafHash.CopyTo(r);
        // Step 4.
        foreach (var p in proof)
        {
            if (sn == 0) return false;
            if ((fn & 1) == 1 || fn == sn)
            {
                HashChildren(p, r, r);
                if ((fn & 1) == 0) ShiftToSetBitOrZero(ref fn, ref sn);
            }
            else
            {
                HashChildren(r, p, r);
            }
            fn >>= 1;
            sn >>= 1;
        }
        // Step 5 (the caller compares r with the root).
        return sn == 0;
    }

    private static bool AllHashes(IReadOnlyList<byte[]> proof)
    {
        for (int i = 0; i < proof.Count; i++)
        {
            if (proof[i] is not { Length: HashSize }) return false;
        }
        return true;
    }

    /// <summary>Right-shifts both until the low bit of <paramref name="fn"/> is set or it is 0 (RFC 9162 §2.1.3.2 step 4, §2.1.4.2 step 6).</summary>
    private static void ShiftToSetBitOrZero(ref ulong fn, ref ulong sn)
    {
        while ((fn & 1) == 0 && fn != 0) { fn >>= 1; sn >>= 1; }
    }

    private static bool IsPowerOfTwo(ulong value) => (value & (value - 1)) == 0;
}
