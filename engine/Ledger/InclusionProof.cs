namespace LatticeKV.Ledger;

/// <summary>
/// An RFC 9162 inclusion proof (§2.1.3): the sibling hashes that lead from the leaf at
/// <see cref="LeafIndex"/> to the root of the first <see cref="TreeSize"/> leaves, deepest first.
/// Check it with <see cref="MerkleProof.VerifyInclusion"/>; the proof itself is untrusted data.
/// </summary>
public sealed class InclusionProof
{
    /// <summary>Creates a proof; <paramref name="hashes"/> is copied (each hash is kept as given).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="hashes"/> is null.</exception>
    public InclusionProof(long leafIndex, long treeSize, IReadOnlyList<byte[]> hashes)
    {
        ArgumentNullException.ThrowIfNull(hashes);
        LeafIndex = leafIndex;
        TreeSize = treeSize;
        Hashes = hashes.ToArray();
    }

    /// <summary>Zero-based index of the proven leaf.</summary>
    public long LeafIndex { get; }

    /// <summary>Number of leaves of the tree whose root the proof leads to.</summary>
    public long TreeSize { get; }

    /// <summary>The inclusion path: sibling hashes from the leaf's level up to the root's children.</summary>
    public IReadOnlyList<byte[]> Hashes { get; }

    /// <summary>True when the proof shows that a leaf with hash <paramref name="leafHash"/> is in the tree with root <paramref name="rootHash"/>.</summary>
    public bool Verify(ReadOnlySpan<byte> leafHash, ReadOnlySpan<byte> rootHash)
        => MerkleProof.VerifyInclusion(LeafIndex, TreeSize, leafHash, Hashes, rootHash);
}
