namespace LatticeKV.Ledger;

/// <summary>
/// How a transaction's status follows the chain: depth from the tip, finality, and which of two
/// records of one transaction wins when it is appended again (README, "Ledger").
/// </summary>
internal static class LedgerStatusRules
{
    /// <summary>
    /// A confirmed record's depth is at least what the chain's <paramref name="tip"/> gives
    /// (tip − height + 1), and <see cref="LedgerStatusKind.Final"/> from <paramref name="finality"/> on.
    /// With <paramref name="exact"/> the tip's depth replaces a larger one (after a reorganisation
    /// moved the tip back). Final and other kinds are left as they are.
    /// </summary>
    internal static LedgerTransaction Normalize(LedgerTransaction tx, long? tip, int finality, bool exact = false)
    {
        if (tx.Status.Kind != LedgerStatusKind.Confirmed || tx.BlockHeight is not { } height) return tx;
        int depth = tx.Status.Depth;
        if (tip is { } t && t >= height)
        {
            int fromTip = (int)Math.Min(t - height + 1, int.MaxValue);
            depth = exact ? fromTip : Math.Max(depth, fromTip);
        }
        var status = depth >= finality ? LedgerStatus.Final : LedgerStatus.Confirmed(depth);
        return status == tx.Status ? tx : tx with { Status = status };
    }

    /// <summary>True when both records carry the same raw bytes and postings (both canonical).</summary>
    internal static bool SameContent(LedgerTransaction a, LedgerTransaction b)
        => a.RawTransaction.AsSpan().SequenceEqual(b.RawTransaction) && a.Postings.SequenceEqual(b.Postings);

    /// <summary>
    /// The record to keep when <paramref name="incoming"/> is appended over <paramref name="existing"/>
    /// (same content): a late pending never demotes a transaction in a block; an orphaning keeps the
    /// place it had; in the same block the higher status wins (Final over Confirmed, more depth over
    /// less); anything else is a move (a new block, back to pending after an orphaning) and takes the incoming record.
    /// </summary>
    internal static LedgerTransaction Resolve(LedgerTransaction existing, LedgerTransaction incoming)
    {
        var e = existing.Status;
        switch (incoming.Status.Kind)
        {
            case LedgerStatusKind.Pending:
                return e.Kind == LedgerStatusKind.Orphaned ? incoming : existing;
            case LedgerStatusKind.Orphaned:
                return e.Kind == LedgerStatusKind.Orphaned ? existing : existing with { Status = LedgerStatus.Orphaned };
        }
        bool sameBlock = e.InBlock && existing.BlockHeight == incoming.BlockHeight && existing.BlockHash == incoming.BlockHash && existing.Position == incoming.Position;
        if (!sameBlock) return incoming;
        return Rank(incoming.Status) > Rank(e) ? incoming : existing;
    }

    private static long Rank(LedgerStatus status) => status.Kind == LedgerStatusKind.Final ? long.MaxValue : status.Depth;
}
