using System.Buffers.Binary;

namespace LatticeKV.Ledger;

/// <summary>
/// The ledger's column families (FORMAT.md §22.1), created when missing, and its format version
/// in <c>ledger.meta</c>. Only <c>ledger.tx</c> may be replicated: everything else is derived
/// from it by each replica (<see cref="LedgerFold"/>).
/// </summary>
internal sealed record LedgerFamilies(LatticeDb Db, ColumnFamilyHandle Transactions, ColumnFamilyHandle Folded, ColumnFamilyHandle Index,
    ColumnFamilyHandle Balances, ColumnFamilyHandle Merkle, ColumnFamilyHandle Meta)
{
    internal const string TransactionsName = "ledger.tx";
    internal const string FoldedName = "ledger.folded";
    internal const string IndexName = "ledger.index";
    internal const string BalancesName = "ledger.balances";
    internal const string MerkleName = "ledger.merkle";
    internal const string MetaName = "ledger.meta";

    /// <summary>The ledger format this program writes and the newest it reads. Only goes up.</summary>
    internal const uint FormatVersion = 1;

    internal static LedgerFamilies Open(LatticeDb db, LedgerOptions options)
    {
        // The version is checked before anything is created or written.
        var meta = Family(db, MetaName, options, replicated: false, merge: false);
        uint? stored = db.Get(meta, LedgerKeys.FormatKey) is { } v
            ? v.Length == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(v) : throw new CorruptionException("ledger format version is not 4 bytes")
            : null;
        if (stored > FormatVersion) throw new LedgerVersionException(stored.Value, FormatVersion);
        var families = new LedgerFamilies(db,
            Family(db, TransactionsName, options, options.ReplicateTransactions, merge: false),
            Family(db, FoldedName, options, replicated: false, merge: false),
            Family(db, IndexName, options, replicated: false, merge: false),
            Family(db, BalancesName, options, replicated: false, merge: true),
            Family(db, MerkleName, options, replicated: false, merge: false),
            meta);
        if (stored is null)
        {
            var version = new byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(version, FormatVersion);
            db.Put(meta, LedgerKeys.FormatKey, version, new WriteOptions { Sync = true });
        }
        return families;
    }

    /// <summary>Whether <c>ledger.tx</c> records every write in the change log (set when it was created).</summary>
    internal bool Replicated => Transactions.Data.Options.Replicated;

    private static ColumnFamilyHandle Family(LatticeDb db, string name, LedgerOptions options, bool replicated, bool merge)
    {
        if (db.TryGetColumnFamily(name, out var handle))
        {
            // Merge operators are code: the ledger's is attached whatever options the database was opened with.
            if (merge) db.AttachMergeOperator(handle, LedgerAmountAddOperator.Instance);
            return handle;
        }
        return db.CreateColumnFamily(name, new ColumnFamilyOptions
        {
            Encrypted = options.Encrypted,
            Replicated = replicated,
            MergeOperator = merge ? LedgerAmountAddOperator.Instance : null,
        });
    }
}
