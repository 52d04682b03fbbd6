namespace LatticeKV.Ledger.Merkle;

/// <summary>
/// The hashes of a tree's perfect subtrees: the node at <c>level</c> (0 = leaves) and
/// <c>index</c> covers leaves [index · 2^level, (index + 1) · 2^level). Callers ask only for
/// nodes inside the tree they hold.
/// </summary>
internal interface IPerfectNodes
{
    /// <summary>Writes the 32-byte hash of node (<paramref name="level"/>, <paramref name="index"/>) to <paramref name="destination"/>.</summary>
    void Read(int level, long index, Span<byte> destination);
}
