namespace LatticeKV.Ledger;

/// <summary>
/// Checks <c>ledger.index</c> against the records both ways without holding the entries the
/// records imply. As each record is read its entries are looked up (a missing one is reported)
/// and those found are counted. Entries of distinct transactions are distinct keys, since each
/// names its chain and transaction, so the index holds an entry no record implies exactly when it
/// holds more entries than were found; only then is it read again, each entry checked against
/// the record and fold marker of the transaction it names.
/// </summary>
internal sealed class LedgerIndexCheck(LedgerFamilies families, ReadOptions read)
{
    private long _found;

    /// <summary>
    /// Looks up the index entries of <paramref name="tx"/> placed by its marker's
    /// <paramref name="arrival"/>, reporting each missing one; returns how many it built (they are
    /// held until this returns).
    /// </summary>
    internal int CheckRecord(LedgerTransaction tx, ulong arrival, Action<string?, string?, string> problem)
    {
        var entries = LedgerFold.IndexEntries(tx, FoldMarker.PlaceOf(tx, arrival)).ToList();
        // A stored record's postings are sorted, so its entries are distinct; a tampered one's may repeat.
        HashSet<string>? distinct = SortedByAccount(tx) ? null : new(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (families.Db.Get(families.Index, entry, read) is null) problem(tx.Chain, tx.TransactionId, "an index entry of the record is missing");
            else if (distinct is null || distinct.Add(Convert.ToHexString(entry))) _found++;
        }
        return entries.Count;
    }

    /// <summary>Reports, in key order, every index entry that no record with a fold marker implies.</summary>
    internal void ReportExtras(Action<string?, string?, string> problem)
    {
        long stored = 0;
        using (var it = families.Db.NewIterator(families.Index, read))
            for (it.SeekToFirst(); it.Valid; it.Next()) stored++;
        if (stored == _found) return;
        using (var it = families.Db.NewIterator(families.Index, read))
            for (it.SeekToFirst(); it.Valid; it.Next())
                if (!Implied(it.Key)) problem(null, null, "an index entry points to no record's place");
    }

    /// <summary>Whether the record and fold marker of the transaction <paramref name="entry"/> names place an entry exactly there.</summary>
    private bool Implied(ReadOnlySpan<byte> entry)
    {
        LedgerTransaction tx;
        FoldMarker marker;
        try
        {
            var (chain, txid) = LedgerKeys.ReadEntryId(entry);
            var key = LedgerKeys.Transaction(chain, txid);
            if (families.Db.Get(families.Transactions, key, read) is not { } record) return false;
            tx = LedgerRecordCodec.Decode(record);
            if (tx.Chain != chain || tx.TransactionId != txid) return false;
            if (families.Db.Get(families.Folded, key, read) is not { } m) return false;
            marker = FoldMarker.Decode(m);
        }
        catch (CorruptionException)
        {
            return false;
        }
        foreach (var implied in LedgerFold.IndexEntries(tx, FoldMarker.PlaceOf(tx, marker.Arrival)))
            if (entry.SequenceEqual(implied)) return true;
        return false;
    }

    private static bool SortedByAccount(LedgerTransaction tx)
    {
        for (int i = 1; i < tx.Postings.Count; i++)
            if (string.CompareOrdinal(tx.Postings[i - 1].Account, tx.Postings[i].Account) > 0) return false;
        return true;
    }
}
