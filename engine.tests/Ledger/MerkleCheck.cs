using System.Security.Cryptography;

namespace LatticeKV.Tests.Ledgers;

/// <summary>RFC 9162 computed the slow way from leaf data, to check the ledger's log against: the tree hash and the inclusion-proof verifier of §2.1.3.2.</summary>
internal static class MerkleCheck
{
    public static byte[] Root(IReadOnlyList<byte[]> leaves)
        => leaves.Count == 0 ? SHA256.HashData([]) : Mth([.. leaves.Select(LeafHash)], 0, leaves.Count);

    public static byte[] LeafHash(byte[] data) => SHA256.HashData([0, .. data]);

    public static bool VerifyInclusion(long index, long size, byte[] leafHash, IReadOnlyList<byte[]> path, byte[] root)
    {
        if (index >= size) return false;
        long fn = index, sn = size - 1;
        byte[] r = leafHash;
        foreach (var p in path)
        {
            if (sn == 0) return false;
            if ((fn & 1) == 1 || fn == sn)
            {
                r = SHA256.HashData([1, .. p, .. r]);
                if ((fn & 1) == 0)
                    while ((fn & 1) == 0 && fn != 0) { fn >>= 1; sn >>= 1; }
            }
            else r = SHA256.HashData([1, .. r, .. p]);
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 && r.AsSpan().SequenceEqual(root);
    }

    private static byte[] Mth(byte[][] hashes, int start, int n)
    {
        if (n == 1) return hashes[start];
        int k = 1;
        while (k << 1 < n) k <<= 1;
        return SHA256.HashData([1, .. Mth(hashes, start, k), .. Mth(hashes, start + k, n - k)]);
    }
}
