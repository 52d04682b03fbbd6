using System.Text;
using LatticeKV.Indexing;

namespace LatticeKV.Bench.Ledger;

/// <summary>
/// The ledger in LatticeKV: transactions in a column family keyed by id, an index on
/// (account, order) over their JSON, documents in another family with a text index over the
/// whole value. The constructor's <c>eager</c> picks how stale index entries go (both measured).
/// </summary>
public sealed class LatticeLedgerStore : ILedgerStore
{
    private readonly LatticeDb _db;
    private readonly ColumnFamilyHandle _tx;
    private readonly ColumnFamilyHandle _docs;
    private readonly IndexHandle _byAccount;
    private IndexHandle? _text;
    private readonly string _path;
    private readonly bool _eager;
    private readonly WriteBatch _batch = new();

    // Clustered schema: primary key = account + big-endian order (an account's transactions are
    // contiguous), a unique index on $.txid; the newest query is a reverse scan of the primary.
    private readonly bool _clustered;

    public LatticeLedgerStore(string path, long cacheBytes, bool eager, bool clustered = false)
    {
        _path = path;
        _eager = eager;
        _clustered = clustered;
        var options = new DbOptions { BlockCacheCapacity = cacheBytes, IndexMaintenance = eager ? IndexMaintenance.Eager : IndexMaintenance.Lazy };
        _db = LatticeDb.Open(path, options);
        _tx = _db.CreateColumnFamily("tx", new ColumnFamilyOptions());
        _docs = _db.CreateColumnFamily("docs", new ColumnFamilyOptions());
        _byAccount = _db.CreateIndex(_tx, clustered
            ? new IndexDefinition { Name = "tx-by-id", Extractor = IndexExtractors.JsonField("$.txid"), Unique = true }
            : new IndexDefinition
            {
                Name = "tx-by-account",
                Extractor = IndexExtractors.Composite(IndexExtractors.JsonField("$.account"), IndexExtractors.JsonField("$.order")),
            });
        _byAccount.WaitUntilReady(TimeSpan.FromMinutes(1));
    }

    public string Name => (_eager ? "latticekv" : "latticekv-lazy") + (_clustered ? "-clustered" : "");

    public bool Clustered => _clustered;

    private static byte[] ClusteredKey(LedgerTx tx)
    {
        var key = new byte[tx.Account.Length + 8];
        Encoding.ASCII.GetBytes(tx.Account, key);
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(key.AsSpan(tx.Account.Length), tx.Order);
        return key;
    }

    private byte[] KeyOf(LedgerTx tx) => _clustered ? ClusteredKey(tx) : Encoding.ASCII.GetBytes(tx.TxId);

    public string Settings => _clustered
        ? $"LatticeKV: family 'tx' keyed by account + big-endian order, unique index on json $.txid ({(_eager ? "eager" : "lazy")}); newest = reverse prefix scan of the family; defaults, block cache 256 MiB, unsynced writes"
        : $"LatticeKV: family 'tx' keyed by txid, index composite(json $.account, json $.order) ({(_eager ? "eager" : "lazy")} removal of stale entries), text index over family 'docs'; defaults (64 MiB write buffer, Snappy, bloom 10 bits/key), block cache {_db.GetProperty("lattice.block-cache-capacity") ?? "256 MiB"}, unsynced writes";

    public void Insert(IReadOnlyList<LedgerTx> txs)
    {
        if (txs.Count == 1)
        {
            _db.Put(_tx, KeyOf(txs[0]), txs[0].Json);
            return;
        }
        _batch.Clear();
        foreach (var tx in txs) _batch.Put(_tx, KeyOf(tx), tx.Json);
        _db.Write(_batch);
    }

    public int Newest(string account, int limit)
    {
        if (_clustered) return NewestClustered(account, limit);
        using var it = _db.QueryIndexPrefix(_byAccount, IndexKeys.CompositePrefix(Encoding.UTF8.GetBytes(account)));
        int n = 0;
        for (it.SeekToLast(); it.Valid && n < limit; it.Prev())
        {
            CopyOut(it.PrimaryKey, it.Value);
            n++;
        }
        return n;
    }

    /// <summary>
    /// <see cref="Newest"/> written out by hand: the index family's entries one by one, each
    /// checked by a primary get right away (the probe's reference walk, <c>--ab</c>).
    /// </summary>
    internal int NewestOneByOne(string account, int limit)
    {
        var index = _byAccount.Index;
        byte[] prefix = IndexKeyEncoding.Escaped(IndexKeys.CompositePrefix(Encoding.UTF8.GetBytes(account)));
        using var snapshot = _db.GetSnapshot();
        var read = new ReadOptions { Snapshot = snapshot };
        using var it = _db.NewIterator(index.Entries, new ReadOptions { Snapshot = snapshot, IterateLowerBound = prefix, IterateUpperBound = IndexKeyEncoding.PrefixEnd(prefix) });
        int n = 0;
        for (it.SeekToLast(); it.Valid && n < limit; it.Prev())
        {
            var entry = it.Key;
            if (_oneByOneSplit.Length < entry.Length) _oneByOneSplit = new byte[entry.Length * 2];
            if (!IndexKeyEncoding.TrySplit(entry, _oneByOneSplit, out int length, out var primaryKey)) continue;
            _oneByOneValue.ResetWrittenCount();
            if (!_db.TryGet(_tx, primaryKey, _oneByOneValue, read)) continue;
            if (!index.Extractor.Yields(primaryKey, _oneByOneValue.WrittenSpan, _oneByOneSplit.AsSpan(0, length), _oneByOneScratch)) continue;
            CopyOut(primaryKey, _oneByOneValue.WrittenSpan);
            n++;
        }
        return n;
    }

    private byte[] _oneByOneSplit = new byte[256];
    private readonly System.Buffers.ArrayBufferWriter<byte> _oneByOneValue = new(256);
    private readonly ExtractedKeys _oneByOneScratch = new();

    private int NewestClustered(string account, int limit)
    {
        byte[] lower = Encoding.ASCII.GetBytes(account);
        byte[] upper = (byte[])lower.Clone();
        upper[^1]++;
        using var it = _db.NewIterator(_tx, new ReadOptions { IterateLowerBound = lower, IterateUpperBound = upper });
        int n = 0;
        for (it.SeekToLast(); it.Valid && n < limit; it.Prev())
        {
            if (MaterializeRows)
            {
                _ = it.Key.ToArray();
                _ = it.Value.ToArray();
            }
            else
            {
                CopyOut(it.Key, it.Value);
            }
            n++;
        }
        return n;
    }

    /// <summary>
    /// ledger-probe --materialize: each clustered row's key and value copied into new arrays, as
    /// SQLite's side allocates a string and an array a row, to see what that costs LatticeKV.
    /// </summary>
    internal bool MaterializeRows { get; set; }

    private byte[] _row = new byte[4096];

    /// <summary>
    /// Each row's key and value copied out of the engine into one reused buffer: the bytes are
    /// read as SQLite's side reads its columns (and as the comparative runner copies every
    /// engine's value out), without an allocation a row, which LatticeKV's span API does not need.
    /// </summary>
    private void CopyOut(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        if (_row.Length < key.Length + value.Length) _row = new byte[Math.Max(_row.Length * 2, key.Length + value.Length)];
        key.CopyTo(_row);
        value.CopyTo(_row.AsSpan(key.Length));
    }

    /// <summary>The block cache's counters and the tables' sizes (ledger-probe).</summary>
    internal string CacheReport()
    {
        var stats = _db.GetStatistics();
        string Stat(string name) => stats.TryGetValue(name, out long v) ? v.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) : "-";
        return $"cache hits {Stat("block.cache.hits")}, misses {Stat("block.cache.misses")}, compressed hits {Stat("block.cache.compressed.hits")}, "
            + $"capacity {Stat("block.cache.capacity")} (compressed tier {Stat("block.cache.compressed.capacity")}), usage {Stat("block.cache.usage")} (compressed {Stat("block.cache.compressed.usage")}), "
            + $"family tx's tables {_db.GetProperty(_tx, "lattice.total-sst-files-size")} bytes";
    }

    /// <summary>Time per part of a newest query, averaged over <paramref name="n"/> runs (ledger-probe).</summary>
    internal string ProbeParts(string account, int n)
    {
        byte[] prefix = IndexKeys.CompositePrefix(Encoding.UTF8.GetBytes(account));
        double create = 0, seek = 0, walk = 0, dispose = 0, snap = 0, plain = 0;
        for (int i = 0; i < n; i++)
        {
            long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            var s = _db.GetSnapshot();
            s.Dispose();
            long t1 = System.Diagnostics.Stopwatch.GetTimestamp();
            using (var p = _db.NewIterator(_tx)) p.Seek(prefix);
            long t2 = System.Diagnostics.Stopwatch.GetTimestamp();
            var it = _db.QueryIndexPrefix(_byAccount, prefix);
            long t3 = System.Diagnostics.Stopwatch.GetTimestamp();
            it.SeekToLast();
            long t4 = System.Diagnostics.Stopwatch.GetTimestamp();
            while (it.Valid) it.Prev();
            long t5 = System.Diagnostics.Stopwatch.GetTimestamp();
            it.Dispose();
            long t6 = System.Diagnostics.Stopwatch.GetTimestamp();
            snap += t1 - t0; plain += t2 - t1; create += t3 - t2; seek += t4 - t3; walk += t5 - t4; dispose += t6 - t5;
        }
        double f = 1e6 / System.Diagnostics.Stopwatch.Frequency / n;
        return $"snapshot {snap * f:N1} µs, plain iterator+seek {plain * f:N1} µs, query create {create * f:N1} µs, SeekToLast {seek * f:N1} µs, walk {walk * f:N1} µs, dispose {dispose * f:N1} µs";
    }

    /// <summary>
    /// ledger-probe --breakdown: the indexed newest query's three parts timed apart over
    /// <paramref name="n"/> random accounts: the reverse walk of the index family alone, the primary
    /// reads of the keys it found, and the check of each value against its entry; with the block
    /// cache's counters for the reads.
    /// </summary>
    internal string ProbeBreakdown(int accounts, int n, int seed)
    {
        var index = _byAccount.Index;
        var rng = new Random(seed);
        var keys = new List<(byte[] IndexKey, byte[] PrimaryKey)>(128);
        var value = new System.Buffers.ArrayBufferWriter<byte>(256);
        var scratch = new ExtractedKeys();
        byte[] split = new byte[256];
        long scan = 0, get = 0, check = 0, rows = 0;
        var stats0 = _db.GetStatistics();
        for (int q = 0; q < n; q++)
        {
            byte[] prefix = IndexKeyEncoding.Escaped(IndexKeys.CompositePrefix(Encoding.UTF8.GetBytes(LedgerData.AccountName(rng.Next(accounts)))));
            byte[]? upper = IndexKeyEncoding.PrefixEnd(prefix);
            keys.Clear();
            using var snapshot = _db.GetSnapshot();
            var read = new ReadOptions { Snapshot = snapshot };
            long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            using (var it = _db.NewIterator(index.Entries, new ReadOptions { Snapshot = snapshot, IterateLowerBound = prefix, IterateUpperBound = upper }))
            {
                for (it.SeekToLast(); it.Valid && keys.Count < 100; it.Prev())
                {
                    if (!IndexKeyEncoding.TrySplit(it.Key, split, out int length, out var primaryKey)) continue;
                    keys.Add((split.AsSpan(0, length).ToArray(), primaryKey.ToArray()));
                }
            }
            long t1 = System.Diagnostics.Stopwatch.GetTimestamp();
            foreach (var (_, primaryKey) in keys)
            {
                value.ResetWrittenCount();
                _db.TryGet(_tx, primaryKey, value, read);
            }
            long t2 = System.Diagnostics.Stopwatch.GetTimestamp();
            foreach (var (indexKey, primaryKey) in keys)
            {
                value.ResetWrittenCount();
                _db.TryGet(_tx, primaryKey, value, read);
                if (!index.Extractor.Yields(primaryKey, value.WrittenSpan, indexKey, scratch)) throw new InvalidOperationException("stale entry in a settled ledger");
            }
            long t3 = System.Diagnostics.Stopwatch.GetTimestamp();
            scan += t1 - t0;
            get += t2 - t1;
            check += (t3 - t2) - (t2 - t1);
            rows += keys.Count;
        }
        var stats1 = _db.GetStatistics();
        // One entry's get and check repeated: what each costs once its memory is in the CPU's caches.
        var (hotIndexKey, hotPrimaryKey) = keys[0];
        var hotRead = new ReadOptions();
        long h0 = System.Diagnostics.Stopwatch.GetTimestamp();
        for (int i = 0; i < 200_000; i++)
        {
            value.ResetWrittenCount();
            _db.TryGet(_tx, hotPrimaryKey, value, hotRead);
        }
        long h1 = System.Diagnostics.Stopwatch.GetTimestamp();
        for (int i = 0; i < 200_000; i++) index.Extractor.Yields(hotPrimaryKey, value.WrittenSpan, hotIndexKey, scratch);
        long h2 = System.Diagnostics.Stopwatch.GetTimestamp();
        double hf = 1e6 / System.Diagnostics.Stopwatch.Frequency / 200_000;
        long Delta(string name) => stats1.GetValueOrDefault(name) - stats0.GetValueOrDefault(name);
        double f = 1e6 / System.Diagnostics.Stopwatch.Frequency / n;
        return $"breakdown over {n:N0} random accounts ({rows / (double)n:N1} rows): index walk {scan * f:N1} µs, primary gets {get * f:N1} µs "
            + $"({get * f * n / rows:N2} µs a get), check (second get is warm) ~{check * f:N1} µs; cache hits {Delta("block.cache.hits"):N0}, "
            + $"misses {Delta("block.cache.misses"):N0}, compressed hits {Delta("block.cache.compressed.hits"):N0}; "
            + $"hot get {(h1 - h0) * hf:N3} µs, hot check {(h2 - h1) * hf:N3} µs; tx levels {_db.GetProperty(_tx, "lattice.levelstats")?.ReplaceLineEndings(" | ")}; index levels {_db.GetProperty(index.Entries, "lattice.levelstats")?.ReplaceLineEndings(" | ")}";
    }

    public void LoadDocuments(List<(string Id, string Text)> docs)
    {
        _text ??= _db.CreateIndex(_docs, new IndexDefinition { Name = "docs-text", Extractor = IndexExtractors.Text() });
        const int perBatch = 1000;
        for (int i = 0; i < docs.Count; i += perBatch)
        {
            _batch.Clear();
            for (int j = i; j < Math.Min(docs.Count, i + perBatch); j++) _batch.Put(_docs, Encoding.UTF8.GetBytes(docs[j].Id), Encoding.UTF8.GetBytes(docs[j].Text));
            _db.Write(_batch);
        }
        _text.WaitUntilReady(TimeSpan.FromMinutes(10));
    }

    public int Search(string query, int limit) => _db.Search(_text!, query, limit).Count;

    public void Settle()
    {
        _db.Flush();
        _db.WaitForCompactions();
    }

    public long SizeOnDisk() => Runner.ProcessStats.DirectorySize(_path);

    public void Dispose() => _db.Dispose();
}
