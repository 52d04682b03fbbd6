namespace LatticeKV.Ledger;

/// <summary>An RFC 9162 inclusion proof (audit path) of leaf <paramref name="LeafIndex"/> in the tree of <paramref name="TreeSize"/> leaves.</summary>
/// <param name="LeafIndex">The leaf proved.</param>
/// <param name="TreeSize">The tree's size.</param>
/// <param name="Hashes">The audit path, from the leaf's sibling upward.</param>
public sealed record InclusionProof(long LeafIndex, long TreeSize, IReadOnlyList<byte[]> Hashes);
