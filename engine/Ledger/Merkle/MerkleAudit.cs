namespace LatticeKV.Ledger.Merkle;

/// <summary>
/// What <see cref="MerkleLog.Audit"/> found: how much it recomputed and every mismatch, each
/// naming leaf or tile positions only (never stored data: the family may be encrypted).
/// </summary>
internal sealed class MerkleAudit(long leavesChecked, long tilesChecked, IReadOnlyList<string> problems)
{
    /// <summary>Leaves read and rehashed.</summary>
    internal long LeavesChecked { get; } = leavesChecked;

    /// <summary>Stored full tiles compared with their recomputed contents.</summary>
    internal long TilesChecked { get; } = tilesChecked;

    /// <summary>One line per mismatch, missing or unexpected entry; empty when the log is intact.</summary>
    internal IReadOnlyList<string> Problems { get; } = problems;

    /// <summary>True when no problem was found.</summary>
    internal bool IsIntact => Problems.Count == 0;
}
