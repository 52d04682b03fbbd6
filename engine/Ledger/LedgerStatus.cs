namespace LatticeKV.Ledger;

/// <summary>
/// A transaction's status: <see cref="Pending"/>, <see cref="Confirmed"/>(depth), <see cref="Final"/>
/// or <see cref="Orphaned"/>. <see cref="Depth"/> is the number of blocks from the transaction's
/// block to the chain's tip, both counted (1: in the tip block); it is 0 for every other kind.
/// </summary>
/// <param name="Kind">The status.</param>
/// <param name="Depth">Confirmations of a <see cref="LedgerStatusKind.Confirmed"/> transaction; 0 otherwise.</param>
public readonly record struct LedgerStatus(LedgerStatusKind Kind, int Depth)
{
    /// <summary>Not in a block yet.</summary>
    public static LedgerStatus Pending => new(LedgerStatusKind.Pending, 0);

    /// <summary>Deep enough to be irreversible.</summary>
    public static LedgerStatus Final => new(LedgerStatusKind.Final, 0);

    /// <summary>Left the best chain in a reorganisation.</summary>
    public static LedgerStatus Orphaned => new(LedgerStatusKind.Orphaned, 0);

    /// <summary>In a block <paramref name="depth"/> blocks deep (at least 1).</summary>
    public static LedgerStatus Confirmed(int depth) => new(LedgerStatusKind.Confirmed, depth);

    /// <summary>True when the transaction's postings count toward balances: every status but <see cref="LedgerStatusKind.Orphaned"/>.</summary>
    public bool Counts => Kind != LedgerStatusKind.Orphaned;

    /// <summary>True for <see cref="LedgerStatusKind.Confirmed"/> and <see cref="LedgerStatusKind.Final"/>: the transaction sits in a block.</summary>
    public bool InBlock => Kind is LedgerStatusKind.Confirmed or LedgerStatusKind.Final;

    /// <inheritdoc/>
    public override string ToString() => Kind == LedgerStatusKind.Confirmed ? $"Confirmed({Depth})" : Kind.ToString();
}
