using System.Numerics;

namespace LatticeKV.Ledger;

/// <summary>
/// Consensus constants of a Bitcoin-style chain that header verification needs: the easiest
/// target a block may have (the proof-of-work limit), how often difficulty changes, and whether
/// the chain lets a block fall back to the minimum difficulty (testnet), which turns off the
/// check that difficulty only changes at a retarget height.
/// </summary>
public sealed record ChainParameters
{
    /// <summary>Creates parameters; <paramref name="powLimit"/> is the largest target allowed, as a 256-bit number.</summary>
    public ChainParameters(string name, BigInteger powLimit, int retargetInterval, bool allowsMinimumDifficultyBlocks)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (powLimit <= 0 || powLimit >= BigInteger.One << 256) throw new InvalidArgumentException("the proof-of-work limit is a positive 256-bit number", nameof(powLimit));
        if (retargetInterval < 1) throw new InvalidArgumentException("the retarget interval is at least one block", nameof(retargetInterval));
        Name = name;
        PowLimit = powLimit;
        RetargetInterval = retargetInterval;
        AllowsMinimumDifficultyBlocks = allowsMinimumDifficultyBlocks;
    }

    /// <summary>Bitcoin's main network: limit 2^224 − 1 (bits 0x1d00ffff), retarget every 2016 blocks.</summary>
    public static ChainParameters BitcoinMainnet { get; } = new("bitcoin", (BigInteger.One << 224) - 1, 2016, false);

    /// <summary>Bitcoin's test network 3: the main network's limit, with minimum-difficulty blocks allowed.</summary>
    public static ChainParameters BitcoinTestnet { get; } = new("bitcoin-testnet", (BigInteger.One << 224) - 1, 2016, true);

    /// <summary>Bitcoin's regression-test network: limit 2^255 − 1 (bits 0x207fffff), blocks any machine mines at once; difficulty never changes.</summary>
    public static ChainParameters BitcoinRegtest { get; } = new("bitcoin-regtest", (BigInteger.One << 255) - 1, int.MaxValue, false);

    /// <summary>The chain's name, as the ledger's chain id names it.</summary>
    public string Name { get; }

    /// <summary>Largest target (easiest difficulty) a header may claim.</summary>
    public BigInteger PowLimit { get; }

    /// <summary>Blocks between difficulty changes: a header's bits equal its parent's except at multiples of this height.</summary>
    public int RetargetInterval { get; }

    /// <summary>Whether a block may use the minimum difficulty regardless of the schedule (testnet's rule).</summary>
    public bool AllowsMinimumDifficultyBlocks { get; }
}
