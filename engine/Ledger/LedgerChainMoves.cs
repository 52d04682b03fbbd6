namespace LatticeKV.Ledger;

/// <summary>
/// Moves of a chain's tip: advancing it (confirmations deepen, transactions become final) and
/// reorganising it (blocks from the fork on are orphaned, the new blocks applied). Each runs on a
/// <see cref="LedgerFold"/>, so it is one batch with everything it implies.
/// </summary>
internal static class LedgerChainMoves
{
    /// <summary>Sets the tip to <paramref name="height"/> and deepens every confirmed transaction it reaches.</summary>
    internal static void AdvanceTip(LedgerFold fold, string chain, long height, int finality)
    {
        long? old = fold.Tip(chain);
        if (old is { } o && height < o)
            throw new LedgerArgumentException("The tip cannot move back; use Reorganize to replace blocks.", nameof(height));
        if (old == height) return;
        fold.SetTip(chain, height);
        // A record short of final was stored with depth >= oldTip - height + 1, so it sits above oldTip - finality + 1.
        Redepth(fold, chain, old is { } t ? Math.Max(0, t - finality + 1) : 0, finality, exact: false);
    }

    /// <summary>
    /// Orphans every transaction in a block at <paramref name="forkHeight"/> or above, stores the
    /// transactions of <paramref name="blocks"/> as confirmed in them, makes the last block the tip
    /// (or the block before the fork when there is none) and recomputes the depths below the fork.
    /// </summary>
    internal static void Reorganize(LedgerFold fold, LedgerWriter writer, string chain, long forkHeight, IReadOnlyList<LedgerBlock> blocks, int finality)
    {
        long? oldTip = fold.Tip(chain);
        var placed = new List<LedgerTransaction>();
        long previous = forkHeight - 1;
        foreach (var block in blocks)
        {
            if (block is null) throw new LedgerArgumentException("A block is null.", nameof(blocks));
            if (block.Height <= previous) throw new LedgerArgumentException("Blocks must be at the fork height or above, in increasing height order.", nameof(blocks));
            if (block.Transactions is null) throw new LedgerArgumentException("A block's transactions are null.", nameof(blocks));
            LedgerText.Required(block.Hash, LedgerText.MaxBlockHash, nameof(block.Hash));
            previous = block.Height;
            foreach (var tx in block.Transactions)
            {
                if (tx is null) throw new LedgerArgumentException("A block holds a null transaction.", nameof(blocks));
                if (tx.Chain != chain) throw new LedgerArgumentException("A block holds a transaction of another chain.", nameof(blocks));
                placed.Add(LedgerRecordCodec.Canonical(tx with { BlockHeight = block.Height, BlockHash = block.Hash, Status = LedgerStatus.Confirmed(1) }));
            }
        }

        foreach (var entry in InBlockEntries(fold.Families, chain, forkHeight))
        {
            var stored = fold.Record(chain, entry.TransactionId);
            if (stored is null) continue; // an index entry without a record: VerifyBalances reports it
            var tx = stored.Transaction;
            if (!tx.Status.InBlock || tx.BlockHeight < forkHeight) continue;
            var orphaned = tx with { Status = LedgerStatus.Orphaned };
            fold.Store(orphaned, LedgerRecordCodec.Encode(orphaned));
        }

        long? newTip = blocks.Count > 0 ? blocks[^1].Height : forkHeight > 0 ? forkHeight - 1 : null;
        fold.SetTip(chain, newTip);
        foreach (var tx in placed) writer.AppendOne(fold, tx);
        Redepth(fold, chain, oldTip is { } t ? Math.Max(0, t - finality + 1) : 0, finality, exact: true);
    }

    /// <summary>Recomputes the status of every confirmed transaction of <paramref name="chain"/> in a block at <paramref name="fromHeight"/> or above.</summary>
    private static void Redepth(LedgerFold fold, string chain, long fromHeight, int finality, bool exact)
    {
        long? tip = fold.Tip(chain);
        foreach (var entry in InBlockEntries(fold.Families, chain, fromHeight))
        {
            var stored = fold.Record(chain, entry.TransactionId);
            if (stored is null) continue;
            var tx = stored.Transaction;
            if (tx.Status.Kind != LedgerStatusKind.Confirmed || tx.BlockHeight is not { } h || (ulong)h != entry.Height) continue;
            var next = LedgerStatusRules.Normalize(tx, tip, finality, exact);
            if (!ReferenceEquals(next, tx)) fold.Store(next, LedgerRecordCodec.Encode(next));
        }
    }

    /// <summary>The committed chain-order entries of transactions placed in blocks at <paramref name="fromHeight"/> or above.</summary>
    private static List<(ulong Height, string TransactionId)> InBlockEntries(LedgerFamilies families, string chain, long fromHeight)
    {
        var prefix = LedgerKeys.ChainPrefix(chain);
        var entries = new List<(ulong, string)>();
        var options = new ReadOptions
        {
            IterateLowerBound = LedgerKeys.ChainFrom(chain, (ulong)fromHeight),
            IterateUpperBound = LedgerKeys.ChainFrom(chain, LedgerKeys.NoHeight),
        };
        using var it = families.Db.NewIterator(families.Index, options);
        for (it.SeekToFirst(); it.Valid; it.Next())
        {
            var (height, _, txid) = LedgerKeys.ReadPlace(it.Key, prefix.Length);
            entries.Add((height, txid));
        }
        return entries;
    }
}
