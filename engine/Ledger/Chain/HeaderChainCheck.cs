using System.Numerics;

namespace LatticeKV.Ledger.Chain;

/// <summary>
/// Checks a run of consecutive headers as a light client does: each header meets its own target,
/// its target is within the chain's proof-of-work limit, it names its predecessor's hash, and its
/// difficulty changes only at a retarget height and then by at most a factor of four (the
/// clamp every Bitcoin retarget applies). The exact retarget value needs the first header of the
/// previous period, which a run from the transaction's block up does not hold, so it is not
/// recomputed; nor are timestamps checked against the median of past blocks.
/// </summary>
internal static class HeaderChainCheck
{
    /// <summary>A failure at <see cref="Index"/> of the run, or success with the run's cumulative work.</summary>
    internal readonly record struct Outcome(NetworkVerificationFailure Failure, int Index, string Message, BigInteger Work)
    {
        public bool Ok => Failure == NetworkVerificationFailure.None;
    }

    public static Outcome Check(IReadOnlyList<BlockHeader> headers, long firstHeight, ChainParameters parameters)
    {
        BigInteger work = BigInteger.Zero;
        BigInteger previousTarget = BigInteger.Zero;
        ChainHash previousHash = default;
        for (int i = 0; i < headers.Count; i++)
        {
            var header = headers[i];
            long height = firstHeight + i;
            var hash = header.Hash;
            if (CompactTarget.Decode(header.Bits) is not { } target)
                return Fail(NetworkVerificationFailure.InvalidProofOfWork, i, $"header {height} ({hash}): bits {header.Bits:x8} are negative, overflow or zero");
            if (target > parameters.PowLimit)
                return Fail(NetworkVerificationFailure.InvalidProofOfWork, i, $"header {height} ({hash}): bits {header.Bits:x8} above the {parameters.Name} proof-of-work limit");
            if (CompactTarget.HashValue(hash) > target)
                return Fail(NetworkVerificationFailure.InvalidProofOfWork, i, $"header {height} ({hash}): hash above its target (bits {header.Bits:x8})");
            if (i > 0)
            {
                if (header.PreviousBlockHash != previousHash)
                    return Fail(NetworkVerificationFailure.BrokenHeaderLink, i, $"header {height} names {header.PreviousBlockHash} as its parent, not {previousHash}");
                if (!parameters.AllowsMinimumDifficultyBlocks && !TransitionAllowed(height, previousTarget, target, headers[i - 1].Bits, header.Bits, parameters))
                    return Fail(NetworkVerificationFailure.InvalidDifficultyTransition, i, $"header {height}: bits {headers[i - 1].Bits:x8} -> {header.Bits:x8} not allowed at this height");
            }
            work += CompactTarget.Work(target);
            previousTarget = target;
            previousHash = hash;
        }
        return new Outcome(NetworkVerificationFailure.None, -1, "", work);
    }

    private static bool TransitionAllowed(long height, BigInteger previousTarget, BigInteger target, uint previousBits, uint bits, ChainParameters parameters)
    {
        if (height % parameters.RetargetInterval != 0) return bits == previousBits;
        // A retarget scales by the period's timespan clamped to [1/4, 4] of the goal; the compact
        // encoding then truncates the mantissa (at least 15 significant bits), lowering it slightly.
        if (target > previousTarget * 4) return false;
        return target * 4 * 16385 >= previousTarget * 16384;
    }

    private static Outcome Fail(NetworkVerificationFailure failure, int index, string message) => new(failure, index, message, BigInteger.Zero);
}
