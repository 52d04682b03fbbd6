using LatticeKV.Ledger.Merkle;

namespace LatticeKV.Ledger;

/// <summary>
/// <see cref="Ledger.VerifyBalances"/>: from one snapshot, recomputes every balance from the stored
/// non-orphaned records and compares it with the stored one, and checks that each record is the one
/// its fold marker and latest Merkle leaf hold and that the indexes hold exactly the entries the
/// records imply.
/// </summary>
/// <remarks>
/// Memory does not grow with the number of transactions: <c>ledger.tx</c> and <c>ledger.folded</c>
/// (same keys) are read side by side in the database's key order, leaves and index entries are point lookups,
/// and extra index entries are found by counting (<see cref="LedgerIndexCheck"/>). What is held is
/// one expected balance per distinct (chain, account, asset), the entries of the record in hand,
/// and at most <c>maxProblems</c> problems waiting for their place in the report. Every read
/// leaves the block cache as it was (a scan of everything would otherwise fill it).
/// </remarks>
internal static class LedgerVerifier
{
    internal static LedgerVerification Verify(LedgerFamilies families, MerkleLog merkle, int maxProblems, LedgerVerifierBudget budget)
    {
        var db = families.Db;
        using var snapshot = db.GetSnapshot();
        var read = new ReadOptions { Snapshot = snapshot, FillCache = false };
        var expected = new Dictionary<(string Chain, string Account, string Asset), Int128>();
        var problems = new List<LedgerProblem>();
        void Problem(string? chain, string? txid, string what)
        {
            if (problems.Count < maxProblems) problems.Add(new LedgerProblem(chain, txid, what));
        }

        // Markers without a record are met during the first pass but reported after the index
        // entries, where the report has always listed them; more than maxProblems never show.
        var unmatched = new List<LedgerProblem>();
        void Unmatched(ReadOnlySpan<byte> markerKey)
        {
            if (unmatched.Count >= maxProblems) return;
            string[]? id = TryTexts(markerKey);
            unmatched.Add(new LedgerProblem(id?[0], id?[1], "a fold marker has no record"));
        }

        var index = new LedgerIndexCheck(families, read);
        var order = db.Options.Comparator;
        long records = 0;
        long leaves = merkle.Size;
        using (var it = db.NewIterator(families.Transactions, read))
        using (var markers = db.NewIterator(families.Folded, read))
        {
            markers.SeekToFirst();
            for (it.SeekToFirst(); it.Valid; it.Next())
            {
                records++;
                while (markers.Valid && order.Compare(markers.Key, it.Key) < 0)
                {
                    Unmatched(markers.Key);
                    markers.Next();
                }
                byte[]? marker = null;
                if (markers.Valid && order.Compare(markers.Key, it.Key) == 0)
                {
                    marker = markers.Value.ToArray();
                    markers.Next();
                }

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
                int entries = CheckFolded(merkle, leaves, read, it.Value, marker, tx, index, Problem);
                budget.Hold(expected.Count + unmatched.Count + entries);
            }
            for (; markers.Valid; markers.Next()) Unmatched(markers.Key);
        }

        index.ReportExtras(Problem);
        foreach (var p in unmatched) Problem(p.Chain, p.TransactionId, p.Description);
        unmatched.Clear();

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
                budget.Hold(expected.Count + seen.Count);
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

    /// <summary>Checks a record against its fold marker (its bytes in <c>ledger.folded</c>, or null), its Merkle leaf and its index entries; returns how many entries it built.</summary>
    private static int CheckFolded(MerkleLog merkle, long leaves, ReadOptions read, ReadOnlySpan<byte> bytes, byte[]? stored, LedgerTransaction tx,
        LedgerIndexCheck index, Action<string?, string?, string> problem)
    {
        if (stored is null)
        {
            problem(tx.Chain, tx.TransactionId, "the record was never folded into balances and indexes");
            return 0;
        }
        FoldMarker marker;
        try
        {
            marker = FoldMarker.Decode(stored);
        }
        catch (CorruptionException)
        {
            problem(tx.Chain, tx.TransactionId, "the fold marker cannot be decoded");
            return 0;
        }
        if (!marker.Digest.AsSpan().SequenceEqual(LedgerRecordCodec.Digest(bytes)))
            problem(tx.Chain, tx.TransactionId, "the record differs from the one folded into balances and the Merkle log");
        else if (marker.LeafIndex >= leaves || !merkle.LeafData(marker.LeafIndex, read).AsSpan().SequenceEqual(bytes))
            problem(tx.Chain, tx.TransactionId, "the record's Merkle leaf does not hold it");
        return index.CheckRecord(tx, marker.Arrival, problem);
    }

    private static string[]? TryTexts(ReadOnlySpan<byte> key, int count = 2)
    {
        try { return LedgerKeys.ReadTexts(key, count); }
        catch (CorruptionException) { return null; }
    }
}
