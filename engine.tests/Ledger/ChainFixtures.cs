using System.Security.Cryptography;
using LatticeKV.Ledger;

namespace LatticeKV.Tests.Ledger;

/// <summary>The real chain data of Ledger/Fixtures (see its README), loaded from the test output directory.</summary>
internal static class ChainFixtures
{
    public const string Mainnet = "bitcoin";
    public const string Block413567Sha256 = "71964cee18c58675784846d498944b35daa41e36b6f65a7e8feb291def924cce";

    private static string Dir => Path.Combine(AppContext.BaseDirectory, "Ledger", "Fixtures");

    /// <summary>Non-comment lines of a fixture file, trimmed.</summary>
    public static IReadOnlyList<string> Lines(string file)
        => [.. File.ReadAllLines(Path.Combine(Dir, file)).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'))];

    public static byte[] Hex(string file) => Convert.FromHexString(string.Concat(Lines(file)));

    /// <summary>Headers of main-network blocks 0 to 5.</summary>
    public static IReadOnlyList<BlockHeader> GenesisHeaders => [.. Lines("mainnet-headers-0-5.hex").Select(l => BlockHeader.Parse(Convert.FromHexString(l)))];

    public static byte[] Block1Coinbase => Hex("mainnet-block1-coinbase.hex");

    public static byte[] GenesisCoinbase => Hex("mainnet-block0-coinbase.hex");

    public static BlockHeader Block100000Header
        => BlockHeader.Parse(Convert.FromHexString(Lines("mainnet-block100000.txt").Single(l => l.StartsWith("header ", StringComparison.Ordinal))[7..]));

    public static IReadOnlyList<ChainHash> Block100000Txids
        => [.. Lines("mainnet-block100000.txt").Where(l => l.StartsWith("txid ", StringComparison.Ordinal)).Select(l => ChainHash.Parse(l[5..]))];

    /// <summary>
    /// Bitcoin Core's benchmark block 413567, or null with the reason it is not here: it is not
    /// committed (Fixtures/README.md) and is looked for in LKV_CHAIN_FIXTURES, then in
    /// shared/fixtures/chain/ beside the repository.
    /// </summary>
    public static byte[]? Block413567(out string reason)
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("LKV_CHAIN_FIXTURES") is { Length: > 0 } env) candidates.Add(Path.Combine(env, "block413567.raw"));
        candidates.Add(Path.Combine(FormatTests.RepoRoot(), "..", "shared", "fixtures", "chain", "block413567.raw"));
        foreach (var path in candidates.Where(File.Exists))
        {
            var bytes = File.ReadAllBytes(path);
            string sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
            if (sha != Block413567Sha256) throw new InvalidOperationException($"{path} is not block 413567 (SHA-256 {sha})");
            reason = "";
            return bytes;
        }
        reason = "block413567.raw (Bitcoin Core's benchmark block) is not committed; set LKV_CHAIN_FIXTURES to its directory or place it in shared/fixtures/chain/ (Ledger/Fixtures/README.md)";
        return null;
    }
}
