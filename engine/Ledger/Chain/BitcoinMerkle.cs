namespace LatticeKV.Ledger.Chain;

/// <summary>
/// Bitcoin's transaction Merkle tree: leaves are txids; a node is the double SHA-256 of its two
/// children's 64 bytes; a level of odd length pairs its last hash with itself. That duplication
/// makes two different transaction lists share a root (a block whose last transactions repeat,
/// CVE-2012-2459), so <see cref="ComputeRoot"/> reports a level where two paired hashes are
/// equal as mutated, and a block whose tree is mutated is not accepted.
/// </summary>
internal static class BitcoinMerkle
{
    /// <summary>Branches longer than this would describe a block of more than 2^32 transactions.</summary>
    public const int MaxBranchLength = 32;

    public static ChainHash ComputeRoot(IReadOnlyList<ChainHash> leaves, out bool mutated)
    {
        mutated = false;
        if (leaves.Count == 0) return default;
        var level = leaves.ToArray();
        int count = level.Length;
        while (count > 1)
        {
            int next = 0;
            for (int i = 0; i < count; i += 2)
            {
                // Only a real pair can reveal the mutation; the duplicated last hash is expected.
                if (i + 1 < count && level[i] == level[i + 1]) mutated = true;
                level[next++] = Node(level[i], level[Math.Min(i + 1, count - 1)]);
            }
            count = next;
        }
        return level[0];
    }

    /// <summary>The sibling hashes from leaf <paramref name="index"/> up to the root (lowest level first).</summary>
    public static IReadOnlyList<ChainHash> Branch(IReadOnlyList<ChainHash> leaves, int index)
    {
        if ((uint)index >= (uint)leaves.Count) throw new InvalidArgumentException($"leaf {index} of {leaves.Count}", nameof(index));
        var branch = new List<ChainHash>();
        var level = leaves.ToArray();
        int count = level.Length;
        while (count > 1)
        {
            int sibling = index ^ 1;
            branch.Add(level[Math.Min(sibling, count - 1)]);
            int next = 0;
            for (int i = 0; i < count; i += 2) level[next++] = Node(level[i], level[Math.Min(i + 1, count - 1)]);
            count = next;
            index >>= 1;
        }
        return branch;
    }

    /// <summary>
    /// The root that <paramref name="leaf"/> at <paramref name="index"/> and its branch lead to, or
    /// null when the index has bits above the branch's height (a branch of n hashes proves a
    /// position below 2^n, so one leaf cannot be claimed at two positions).
    /// </summary>
    public static ChainHash? RootFromBranch(ChainHash leaf, IReadOnlyList<ChainHash> branch, long index)
    {
        if (index < 0 || branch.Count > MaxBranchLength || (index >> branch.Count) != 0) return null;
        var hash = leaf;
        foreach (var sibling in branch)
        {
            hash = (index & 1) == 0 ? Node(hash, sibling) : Node(sibling, hash);
            index >>= 1;
        }
        return hash;
    }

    private static ChainHash Node(ChainHash left, ChainHash right)
    {
        Span<byte> pair = stackalloc byte[ChainHash.Length * 2];
        left.CopyTo(pair);
        right.CopyTo(pair[ChainHash.Length..]);
        return ChainHash.DoubleSha256(pair);
    }
}
