namespace LatticeKV.Ledger;

/// <summary>
/// Pages of an index (a chain's or an account's entries) in chain order, forward or newest
/// first, read from one snapshot with the records they point to. A continuation is the hex of the
/// last entry returned: the next page starts just after (or before) it.
/// </summary>
internal static class LedgerPager
{
    private const int MaxLimit = 10_000;

    internal static LedgerPage Read(LedgerFamilies families, byte[] prefix, string chain, LedgerQuery? query)
    {
        query ??= new LedgerQuery();
        if (query.Limit is < 1 or > MaxLimit) throw new LedgerArgumentException($"Limit must be between 1 and {MaxLimit}.", nameof(query.Limit));
        byte[] lower = prefix, upper = LedgerKeys.PrefixEnd(prefix);
        if (query.Continuation is { } continuation)
        {
            byte[] after = ParseContinuation(continuation, prefix);
            if (query.NewestFirst) upper = after;
            else lower = [.. after, 0];
        }
        var db = families.Db;
        using var snapshot = db.GetSnapshot();
        var options = new ReadOptions { Snapshot = snapshot, IterateLowerBound = lower, IterateUpperBound = upper };
        var found = new List<LedgerTransaction>();
        byte[]? last = null;
        bool more = false;
        using (var it = db.NewIterator(families.Index, options))
        {
            if (query.NewestFirst) it.SeekToLast();
            else it.SeekToFirst();
            for (; it.Valid; Step(it, query.NewestFirst))
            {
                if (found.Count == query.Limit)
                {
                    more = true;
                    break;
                }
                var (_, _, txid) = LedgerKeys.ReadPlace(it.Key, prefix.Length);
                last = it.Key.ToArray();
                var bytes = db.Get(families.Transactions, LedgerKeys.Transaction(chain, txid), new ReadOptions { Snapshot = snapshot });
                if (bytes is null) continue; // a stale entry: VerifyBalances reports it
                var tx = LedgerRecordCodec.Decode(bytes);
                if (tx.Status.Kind == LedgerStatusKind.Orphaned && !query.IncludeOrphaned) continue;
                found.Add(tx);
            }
        }
        return new LedgerPage(found, more && last is not null ? Convert.ToHexString(last) : null);
    }

    private static void Step(LatticeIterator it, bool backward)
    {
        if (backward) it.Prev();
        else it.Next();
    }

    private static byte[] ParseContinuation(string continuation, byte[] prefix)
    {
        byte[] key;
        try { key = Convert.FromHexString(continuation); }
        catch (FormatException) { throw new LedgerArgumentException("The continuation is not one this query returned.", nameof(LedgerQuery.Continuation)); }
        if (key.Length <= prefix.Length || !key.AsSpan().StartsWith(prefix))
            throw new LedgerArgumentException("The continuation is not one this query returned.", nameof(LedgerQuery.Continuation));
        return key;
    }
}
