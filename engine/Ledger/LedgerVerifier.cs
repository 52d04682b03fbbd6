using LatticeKV.Ledger.Merkle;

namespace LatticeKV.Ledger;

/// <summary>
/// <see cref="Ledger.VerifyBalances"/>: from one snapshot, recomputes every balance from the stored
/// non-orphaned records and compares it with the stored one, and checks that each record is the one
/// its fold marker and latest Merkle leaf hold and that the indexes hold exactly the entries the
/// records imply.
/// </summary>
internal static class LedgerVerifier
{
    internal static LedgerVerification Verify(LedgerFamilies families, MerkleLog merkle, int maxProblems)
    {
        var db = families.Db;
        using var snapshot = db.GetSnapshot();
        var read = new ReadOptions { Snapshot = snapshot, FillCache = false };
        var expected = new Dictionary<(string Chain, string Account, string Asset), Int128>();
        var entries = new HashSet<string>(StringComparer.Ordinal);
        var problems = new List<LedgerProblem>();
        void Problem(string? chain, string? txid, string what)
        {
            if (problems.Count < maxProblems) problems.Add(new LedgerProblem(chain, txid, what));
        }

        long records = 0;
        long leaves = merkle.Size;
        using (var it = db.NewIterator(families.Transactions, read))
        {
            for (it.SeekToFirst(); it.Valid; it.Next())
            {
                records++;
                LedgerTransaction tx;
                string[] id;
                try
                {
                    id = LedgerKeys.ReadTexts(it.Key, 2);
                    tx = LedgerRecordCodec.Decode(it.Value);
                }
                catch (CorruptionException)
                {
                    Problem(null, null, "a transaction record cannot be decoded");
                    continue;
                }
                if (tx.Chain != id[0] || tx.TransactionId != id[1])
                {
                    Problem(id[0], id[1], "the record is stored under another transaction's key");
                    continue;
                }
                if (tx.Status.Counts)
                {
                    try
                    {
                        foreach (var ((account, asset), amount) in LedgerAmounts.Contributions(tx.Postings, +1))
                            expected[(tx.Chain, account, asset)] = checked(expected.GetValueOrDefault((tx.Chain, account, asset)) + amount);
                    }
                    catch (Exception ex) when (ex is OverflowException or LedgerArgumentException)
                    {
                        Problem(tx.Chain, tx.TransactionId, "the postings overflow a balance");
                    }
                }
                CheckFolded(families, merkle, leaves, read, it.Key, it.Value, tx, entries, Problem);
            }
        }

        using (var it = db.NewIterator(families.Index, read))
            for (it.SeekToFirst(); it.Valid; it.Next())
                if (!entries.Contains(Convert.ToHexString(it.Key))) Problem(null, null, "an index entry points to no record's place");

        using (var it = db.NewIterator(families.Folded, read))
            for (it.SeekToFirst(); it.Valid; it.Next())
                if (db.Get(families.Transactions, it.Key, read) is null)
                {
                    string[]? id = TryTexts(it.Key);
                    Problem(id?[0], id?[1], "a fold marker has no record");
                }

        var differences = new List<LedgerBalanceDifference>();
        var seen = new HashSet<(string, string, string)>();
        using (var it = db.NewIterator(families.Balances, read))
        {
            for (it.SeekToFirst(); it.Valid; it.Next())
            {
                string[]? id = TryTexts(it.Key, 3);
                if (id is null)
                {
                    Problem(null, null, "a balance key cannot be decoded");
                    continue;
                }
                var key = (id[0], id[1], id[2]);
                seen.Add(key);
                Int128? stored;
                try { stored = LedgerAmounts.Decode(it.Value); }
                catch (Exception ex) when (ex is CorruptionException or MergeException) { stored = null; }
                var want = expected.GetValueOrDefault(key);
                if (stored != want) differences.Add(new LedgerBalanceDifference(id[0], id[1], id[2], stored, want));
            }
        }
        foreach (var (key, want) in expected)
            if (!seen.Contains(key) && want != Int128.Zero) differences.Add(new LedgerBalanceDifference(key.Chain, key.Account, key.Asset, Int128.Zero, want));
        seen.UnionWith(expected.Keys);
        return new LedgerVerification(records, seen.Count, differences, problems);
    }

    private static void CheckFolded(LedgerFamilies families, MerkleLog merkle, long leaves, ReadOptions read, ReadOnlySpan<byte> key, ReadOnlySpan<byte> bytes,
        LedgerTransaction tx, HashSet<string> entries, Action<string?, string?, string> problem)
    {
        FoldMarker marker;
        try
        {
            if (families.Db.Get(families.Folded, key, read) is not { } m)
            {
                problem(tx.Chain, tx.TransactionId, "the record was never folded into balances and indexes");
                return;
            }
            marker = FoldMarker.Decode(m);
        }
        catch (CorruptionException)
        {
            problem(tx.Chain, tx.TransactionId, "the fold marker cannot be decoded");
            return;
        }
        if (!marker.Digest.AsSpan().SequenceEqual(LedgerRecordCodec.Digest(bytes)))
            problem(tx.Chain, tx.TransactionId, "the record differs from the one folded into balances and the Merkle log");
        else if (marker.LeafIndex >= leaves || !merkle.LeafData(marker.LeafIndex).AsSpan().SequenceEqual(bytes))
            problem(tx.Chain, tx.TransactionId, "the record's Merkle leaf does not hold it");
        foreach (var entry in LedgerFold.IndexEntries(tx, FoldMarker.PlaceOf(tx, marker.Arrival)))
        {
            entries.Add(Convert.ToHexString(entry));
            if (families.Db.Get(families.Index, entry, read) is null) problem(tx.Chain, tx.TransactionId, "an index entry of the record is missing");
        }
    }

    private static string[]? TryTexts(ReadOnlySpan<byte> key, int count = 2)
    {
        try { return LedgerKeys.ReadTexts(key, count); }
        catch (CorruptionException) { return null; }
    }
}
