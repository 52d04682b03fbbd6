namespace LatticeKV.Ledger;

/// <summary>Where a ledger transaction stands on its chain (<see cref="LedgerStatus.Kind"/>).</summary>
/// <remarks>Persistent format (FORMAT.md §22.1, the record's status byte): do not renumber.</remarks>
public enum LedgerStatusKind : byte
{
    /// <summary>Seen but not in a block yet (in the mempool); counts toward balances.</summary>
    Pending = 0,

    /// <summary>In a block of the best chain, <see cref="LedgerStatus.Depth"/> blocks deep (1: in the tip block).</summary>
    Confirmed = 1,

    /// <summary>Deep enough (<see cref="LedgerOptions.FinalityDepth"/>) to be treated as irreversible.</summary>
    Final = 2,

    /// <summary>Its block left the best chain in a reorganisation; kept as history, counts for nothing.</summary>
    Orphaned = 3,
}
