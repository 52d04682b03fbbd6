namespace LatticeKV.Bench.Ledger;

/// <summary>LatticeKV's transactions (optimistic or pessimistic) doing the transfer; unsynced commits, as RocksDB's.</summary>
public sealed class LatticeTransferStore(string path, bool pessimistic, long cacheBytes) : ITransferStore
{
    private readonly LatticeDb _db = LatticeDb.Open(path, new DbOptions { BlockCacheCapacity = cacheBytes });
    private readonly TransactionOptions _options = new() { Pessimistic = pessimistic };
    private static readonly byte[][] s_keys = Enumerable.Range(0, 100_000).Select(Balances.Key).ToArray();

    public string Name => pessimistic ? "latticekv-pessimistic" : "latticekv-optimistic";

    public void Seed(int accounts, long balance)
    {
        var batch = new WriteBatch();
        for (int i = 0; i < accounts; i++) batch.Put(s_keys[i], Balances.Encode(balance));
        _db.Write(batch);
    }

    public bool TryTransfer(int from, int to, long amount)
    {
        int lo = Math.Min(from, to), hi = Math.Max(from, to);
        try
        {
            using var txn = _db.BeginTransaction(_options);
            long loBalance = Balances.Decode(txn.GetForUpdate(s_keys[lo]));
            long hiBalance = Balances.Decode(txn.GetForUpdate(s_keys[hi]));
            long delta = lo == from ? -amount : amount;
            txn.Put(s_keys[lo], Balances.Encode(loBalance + delta));
            txn.Put(s_keys[hi], Balances.Encode(hiBalance - delta));
            txn.Commit();
            return true;
        }
        catch (TransactionConflictException)
        {
            return false; // a conflict, a lock timeout or a deadlock: nothing was written
        }
    }

    public long Total(int accounts)
    {
        using var snapshot = _db.GetSnapshot();
        long sum = 0;
        for (int i = 0; i < accounts; i++) sum += Balances.Decode(_db.Get(s_keys[i], new ReadOptions { Snapshot = snapshot }));
        return sum;
    }

    public void Dispose() => _db.Dispose();
}
