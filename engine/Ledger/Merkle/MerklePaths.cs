using System.Numerics;

namespace LatticeKV.Ledger.Merkle;

/// <summary>
/// RFC 9162 tree hashes and proofs (§2.1.1, §2.1.3.1, §2.1.4.1) computed from perfect subtree
/// hashes. The RFC's recursions split a range at the largest power of two below its size, so
/// every left part is a perfect subtree (one stored hash); only the right edge is hashed here,
/// at most one hash per level.
/// </summary>
internal static class MerklePaths
{
    /// <summary>MTH of leaves [<paramref name="start"/>, <paramref name="end"/>), end &gt; start, written to <paramref name="destination"/>.</summary>
    internal static void RangeHash(IPerfectNodes nodes, long start, long end, Span<byte> destination)
    {
        long n = end - start;
        if (IsPerfect(start, n))
        {
            int level = BitOperations.TrailingZeroCount(n);
            nodes.Read(level, start >> level, destination);
            return;
        }
        long k = LargestPowerOfTwoBelow(n);
        Span<byte> left = stackalloc byte[MerkleProof.HashSize];
        RangeHash(nodes, start, start + k, left);
        RangeHash(nodes, start + k, end, destination);
        MerkleProof.HashChildren(left, destination, destination);
    }

    /// <summary>MTH of leaves [<paramref name="start"/>, <paramref name="end"/>) as a new array.</summary>
    internal static byte[] RangeHash(IPerfectNodes nodes, long start, long end)
    {
        var hash = new byte[MerkleProof.HashSize];
        RangeHash(nodes, start, end, hash);
        return hash;
    }

    /// <summary>PATH(m, D[0:n]) of RFC 9162 §2.1.3.1, deepest hash first; 0 ≤ m &lt; n.</summary>
    internal static List<byte[]> Inclusion(IPerfectNodes nodes, long leafIndex, long treeSize)
    {
        var path = new List<byte[]>(64);
        long start = 0, end = treeSize, m = leafIndex;
        while (end - start > 1)
        {
            long k = LargestPowerOfTwoBelow(end - start);
            Descend(nodes, path, m < k, k, ref start, ref end, ref m);
        }
        // The recursion appends on the way out; the loop walked in.
        path.Reverse();
        return path;
    }

    /// <summary>PROOF(m, D[0:n]) = SUBPROOF(m, D[0:n], true) of RFC 9162 §2.1.4.1; 0 &lt; m &lt; n.</summary>
    internal static List<byte[]> Consistency(IPerfectNodes nodes, long oldSize, long newSize)
    {
        var path = new List<byte[]>(64);
        long start = 0, end = newSize, m = oldSize;
        bool complete = true;
        while (true)
        {
            long n = end - start;
            if (m == n)
            {
                if (!complete) path.Add(RangeHash(nodes, start, end));
                break;
            }
            long k = LargestPowerOfTwoBelow(n);
            bool left = m <= k;
            Descend(nodes, path, left, k, ref start, ref end, ref m);
            complete &= left;
        }
        path.Reverse();
        return path;
    }

    /// <summary>
    /// One step of the RFC's recursions over D[start:end] split at <paramref name="k"/>: into
    /// the left part (the right part's hash joins the path) or the right part (the left
    /// part's hash joins the path and <paramref name="m"/> moves with it).
    /// </summary>
    private static void Descend(IPerfectNodes nodes, List<byte[]> path, bool left, long k, ref long start, ref long end, ref long m)
    {
        if (left)
        {
            path.Add(RangeHash(nodes, start + k, end));
            end = start + k;
            return;
        }
        path.Add(RangeHash(nodes, start, start + k));
        start += k;
        m -= k;
    }

    /// <summary>The largest power of two strictly below <paramref name="n"/> (n ≥ 2).</summary>
    internal static long LargestPowerOfTwoBelow(long n) => 1L << (63 - BitOperations.LeadingZeroCount((ulong)(n - 1)));

    private static bool IsPerfect(long start, long n) => (n & (n - 1)) == 0 && (start & (n - 1)) == 0;
}
