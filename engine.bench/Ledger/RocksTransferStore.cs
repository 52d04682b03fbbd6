using System.Runtime.InteropServices;
using R = RocksDbSharp;

namespace LatticeKV.Bench.Ledger;

/// <summary>
/// RocksDB's transaction databases through the binding's C API (<c>rocksdb_transactiondb_*</c> for
/// pessimistic, <c>rocksdb_optimistictransactiondb_*</c> for optimistic): the same transfer, the
/// same unsynced writes, the same block cache budget as LatticeKV.
/// </summary>
public sealed class RocksTransferStore : ITransferStore
{
    private readonly bool _pessimistic;
    private readonly IntPtr _db;
    private readonly IntPtr _options;
    private readonly IntPtr _dbOptions;
    private readonly IntPtr _txnOptions;
    private readonly IntPtr _write;
    private readonly IntPtr _read;
    private readonly R.BlockBasedTableOptions _table;
    private static R.Native N => R.Native.Instance;

    public RocksTransferStore(string path, bool pessimistic, long cacheBytes)
    {
        _pessimistic = pessimistic;
        _table = new R.BlockBasedTableOptions().SetBlockCache(R.Cache.CreateLru((ulong)cacheBytes)).SetFilterPolicy(R.BloomFilterPolicy.Create(10, false));
        var opts = new R.DbOptions().SetCreateIfMissing(true).SetBlockBasedTableFactory(_table).IncreaseParallelism(2);
        _options = opts.Handle;
        GC.KeepAlive(opts);
        _keepOptions = opts;
        _write = N.rocksdb_writeoptions_create();
        _read = N.rocksdb_readoptions_create();
        IntPtr err;
        if (pessimistic)
        {
            _dbOptions = N.rocksdb_transactiondb_options_create();
            _txnOptions = N.rocksdb_transaction_options_create();
            N.rocksdb_transaction_options_set_lock_timeout(_txnOptions, 1000);
            _db = N.rocksdb_transactiondb_open(_options, _dbOptions, path, out err);
        }
        else
        {
            _txnOptions = N.rocksdb_optimistictransaction_options_create();
            _db = N.rocksdb_optimistictransactiondb_open(_options, path, out err);
        }
        Check(err);
    }

    private readonly R.DbOptions _keepOptions;

    public string Name => _pessimistic ? "rocksdb-pessimistic" : "rocksdb-optimistic";

    private static void Check(IntPtr err)
    {
        if (err == IntPtr.Zero) return;
        string message = Marshal.PtrToStringAnsi(err) ?? "?";
        N.rocksdb_free(err);
        throw new InvalidOperationException("RocksDB: " + message);
    }

    private IntPtr Begin() => _pessimistic
        ? N.rocksdb_transaction_begin(_db, _write, _txnOptions, IntPtr.Zero)
        : N.rocksdb_optimistictransaction_begin(_db, _write, _txnOptions, IntPtr.Zero);

    public void Seed(int accounts, long balance)
    {
        var txn = Begin();
        try
        {
            for (int i = 0; i < accounts; i++)
            {
                byte[] k = Balances.Key(i), v = Balances.Encode(balance);
                N.rocksdb_transaction_put(txn, k, (UIntPtr)k.Length, v, (UIntPtr)v.Length, out IntPtr err);
                Check(err);
            }
            N.rocksdb_transaction_commit(txn, out IntPtr cerr);
            Check(cerr);
        }
        finally
        {
            N.rocksdb_transaction_destroy(txn);
        }
    }

    public bool TryTransfer(int from, int to, long amount)
    {
        int lo = Math.Min(from, to), hi = Math.Max(from, to);
        var txn = Begin();
        try
        {
            if (!TryRead(txn, lo, out long loBalance) || !TryRead(txn, hi, out long hiBalance)) return Rollback(txn);
            long delta = lo == from ? -amount : amount;
            if (!TryPut(txn, lo, loBalance + delta) || !TryPut(txn, hi, hiBalance - delta)) return Rollback(txn);
            N.rocksdb_transaction_commit(txn, out IntPtr err);
            if (err != IntPtr.Zero)
            {
                N.rocksdb_free(err); // Busy / TryAgain: a conflict
                return false;
            }
            return true;
        }
        finally
        {
            N.rocksdb_transaction_destroy(txn);
        }
    }

    private static bool Rollback(IntPtr txn)
    {
        N.rocksdb_transaction_rollback(txn, out IntPtr err);
        if (err != IntPtr.Zero) N.rocksdb_free(err);
        return false;
    }

    private bool TryRead(IntPtr txn, int account, out long balance)
    {
        byte[] k = Balances.Key(account);
        IntPtr v = N.rocksdb_transaction_get_for_update(txn, _read, k, (UIntPtr)k.Length, out UIntPtr len, 1, out IntPtr err);
        balance = 0;
        if (err != IntPtr.Zero)
        {
            N.rocksdb_free(err); // lock timed out
            return false;
        }
        unsafe { balance = Balances.Decode(new ReadOnlySpan<byte>((void*)v, (int)len)); }
        N.rocksdb_free(v);
        return true;
    }

    private static bool TryPut(IntPtr txn, int account, long balance)
    {
        byte[] k = Balances.Key(account), v = Balances.Encode(balance);
        N.rocksdb_transaction_put(txn, k, (UIntPtr)k.Length, v, (UIntPtr)v.Length, out IntPtr err);
        if (err == IntPtr.Zero) return true;
        N.rocksdb_free(err);
        return false;
    }

    public long Total(int accounts)
    {
        long sum = 0;
        var txn = Begin();
        try
        {
            for (int i = 0; i < accounts; i++)
            {
                if (!TryRead(txn, i, out long b)) throw new InvalidOperationException("RocksDB: reading a balance failed");
                sum += b;
            }
            Rollback(txn);
        }
        finally
        {
            N.rocksdb_transaction_destroy(txn);
        }
        return sum;
    }

    public void Dispose()
    {
        if (_pessimistic)
        {
            N.rocksdb_transactiondb_close(_db);
            N.rocksdb_transactiondb_options_destroy(_dbOptions);
            N.rocksdb_transaction_options_destroy(_txnOptions);
        }
        else
        {
            N.rocksdb_optimistictransactiondb_close(_db);
            N.rocksdb_optimistictransaction_options_destroy(_txnOptions);
        }
        N.rocksdb_writeoptions_destroy(_write);
        N.rocksdb_readoptions_destroy(_read);
        GC.KeepAlive(_keepOptions);
        GC.KeepAlive(_table);
    }
}
