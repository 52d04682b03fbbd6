using System.Security.Cryptography;

namespace LatticeKV.Tests.Ledger;

/// <summary>
/// RFC 9162 §2.1 written as the RFC states it (recursive MTH, PATH and SUBPROOF over a list of
/// leaves), with no tiles and no shortcuts: the independent side of the Merkle tests.
/// </summary>
internal static class MerkleReference
{
    public static byte[] Leaf(byte[] data) => SHA256.HashData([0x00, .. data]);

    public static byte[] Node(byte[] left, byte[] right) => SHA256.HashData([0x01, .. left, .. right]);

    /// <summary>MTH(D[n]) of leaf hashes.</summary>
    public static byte[] Mth(IReadOnlyList<byte[]> leafHashes, int start, int end)
    {
        int n = end - start;
        if (n == 0) return SHA256.HashData(ReadOnlySpan<byte>.Empty);
        if (n == 1) return leafHashes[start];
        int k = LargestPowerOfTwoBelow(n);
        return Node(Mth(leafHashes, start, start + k), Mth(leafHashes, start + k, end));
    }

    /// <summary>PATH(m, D[start:end]).</summary>
    public static List<byte[]> Path(IReadOnlyList<byte[]> leafHashes, int m, int start, int end)
    {
        int n = end - start;
        if (n == 1) return [];
        int k = LargestPowerOfTwoBelow(n);
        if (m < k)
        {
            var p = Path(leafHashes, m, start, start + k);
            p.Add(Mth(leafHashes, start + k, end));
            return p;
        }
        var q = Path(leafHashes, m - k, start + k, end);
        q.Add(Mth(leafHashes, start, start + k));
        return q;
    }

    /// <summary>PROOF(m, D[n]) for 0 &lt; m &lt; n.</summary>
    public static List<byte[]> Proof(IReadOnlyList<byte[]> leafHashes, int m, int n) => SubProof(leafHashes, m, 0, n, true);

    private static List<byte[]> SubProof(IReadOnlyList<byte[]> leafHashes, int m, int start, int end, bool b)
    {
        int n = end - start;
        if (m == n) return b ? [] : [Mth(leafHashes, start, end)];
        int k = LargestPowerOfTwoBelow(n);
        if (m <= k)
        {
            var p = SubProof(leafHashes, m, start, start + k, b);
            p.Add(Mth(leafHashes, start + k, end));
            return p;
        }
        var q = SubProof(leafHashes, m - k, start + k, end, false);
        q.Add(Mth(leafHashes, start, start + k));
        return q;
    }

    private static int LargestPowerOfTwoBelow(int n)
    {
        int k = 1;
        while (k << 1 < n) k <<= 1;
        return k;
    }
}
