using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using LatticeKV.Bench.Runner;

namespace LatticeKV.Bench.Ledger;

/// <summary>
/// <c>ledger</c>: issue 19's comparison in one run, on one disk, every engine given the same cache
/// budget: (a) inserting ledger transactions with the (account, order) index maintained, one
/// commit per transaction; (b) the newest 100 transactions of a random account, in alternating
/// rounds; (c) full-text search over WordNet's glosses; (d) transfers between accounts in
/// transactions, optimistic and pessimistic, at 1 and 16 threads, against RocksDB's transaction
/// databases. Every engine does the same operations and reads the same values.
/// </summary>
public static class LedgerBench
{
    private const long CacheBytes = 256L << 20;
    private static readonly JsonSerializerOptions s_indented = new() { WriteIndented = true };

    public static int Run(string[] args)
    {
        long txns = CompareCommand.LongArg(args, "--txns", 1_000_000);
        int accounts = (int)CompareCommand.LongArg(args, "--accounts", 10_000);
        int queries = (int)CompareCommand.LongArg(args, "--queries", 5_000);
        int rounds = (int)Math.Max(1, CompareCommand.LongArg(args, "--rounds", 3));
        int loadBatch = (int)Math.Max(1, CompareCommand.LongArg(args, "--load-batch", 1));
        int docsMax = (int)CompareCommand.LongArg(args, "--docs", int.MaxValue);
        int searchQueries = (int)CompareCommand.LongArg(args, "--search-queries", 2_000);
        int seconds = (int)CompareCommand.LongArg(args, "--seconds", 10);
        string corpus = CompareCommand.StringArg(args, "--corpus", WordNetCorpus.DefaultDirectory);
        string parts = CompareCommand.StringArg(args, "--parts", "insert,newest,search,txn");
        string threadList = CompareCommand.StringArg(args, "--threads", "1,16");
        string root = Path.GetFullPath(CompareCommand.StringArg(args, "--dir", Path.Combine(Path.GetTempPath(), "lkv-ledger-bench")));
        string outDir = CompareCommand.StringArg(args, "--out", "bench-ledger");
        if (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any())
        {
            Console.Error.WriteLine($"{root} is not empty: pass --dir with an empty or new directory (this run deletes what it creates there)");
            return 2;
        }
        Directory.CreateDirectory(root);
        Directory.CreateDirectory(outDir);
        var report = new StringBuilder();
        void Log(string line)
        {
            Console.WriteLine(line);
            report.AppendLine(line);
        }
        var results = new Dictionary<string, object>();
        try
        {
            Log($"# ledger bench: {txns:N0} transactions over {accounts:N0} accounts; {Environment.ProcessorCount} cores; {DateTime.UtcNow:u}");
            if (loadBatch > 1) Log($"- insert phase: {loadBatch:N0} transactions a commit (--load-batch), so (a)'s rates are not issue 19's one-commit-per-transaction figure");
            var stores = new List<Func<string, ILedgerStore>>
            {
                dir => new SqliteLedger(dir, CacheBytes),
                dir => new LatticeLedgerStore(dir, CacheBytes, eager: true),
                dir => new LatticeLedgerStore(dir, CacheBytes, eager: false),
                dir => new SqliteLedger(dir, CacheBytes, clustered: true),
                dir => new LatticeLedgerStore(dir, CacheBytes, eager: true, clustered: true),
            };
            WarmUp(root, stores, accounts);
            var txs = LedgerData.Generate(txns, accounts).ToList();
            var opened = new List<ILedgerStore>();
            try
            {
                for (int i = 0; i < stores.Count; i++) opened.Add(stores[i](Path.Combine(root, "ledger-" + i)));
                foreach (var s in opened) Log($"- {s.Name}: {s.Settings}");
                if (parts.Contains("insert", StringComparison.Ordinal) || parts.Contains("newest", StringComparison.Ordinal))
                    results["insert"] = InsertAll(opened, txs, loadBatch, Log);
                txs = null;
                GC.Collect();
                if (parts.Contains("newest", StringComparison.Ordinal))
                {
                    results["settle"] = SettleAndWarm(opened, accounts, Log);
                    results["newest"] = NewestRounds(opened, accounts, queries, rounds, Log);
                }
                if (parts.Contains("search", StringComparison.Ordinal))
                    results["search"] = SearchAll([.. opened.Where(s => !s.Clustered)], WordNetCorpus.Load(corpus, docsMax), searchQueries, rounds, Log);
            }
            finally
            {
                foreach (var s in opened) s.Dispose();
            }
            if (parts.Contains("txn", StringComparison.Ordinal))
            {
                int[] threads = threadList.Split(',').Select(t => int.Parse(t, CultureInfo.InvariantCulture)).ToArray();
                results["txn"] = TransferAll(root, accounts, threads, seconds, Log);
            }
            results["machine"] = $"{Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}";
            File.WriteAllText(Path.Combine(outDir, "ledger.json"), JsonSerializer.Serialize(results, s_indented));
            File.WriteAllText(Path.Combine(outDir, "ledger.md"), report.ToString());
            return 0;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Every operation on a small scratch store first, so managed code is measured tiered up.</summary>
    private static void WarmUp(string root, List<Func<string, ILedgerStore>> stores, int accounts)
    {
        var txs = LedgerData.Generate(50_000, accounts, seed: 3).ToList();
        var docs = Enumerable.Range(0, 5_000).Select(i => ($"w{i}", $"warm up document {i} about ledgers accounts balances and words {i % 97}")).ToList();
        for (int i = 0; i < stores.Count; i++)
        {
            string dir = Path.Combine(root, "warmup-" + i);
            using (var s = stores[i](dir))
            {
                foreach (var tx in txs) s.Insert([tx]);
                for (int q = 0; q < 20_000; q++) s.Newest(LedgerData.AccountName(q % accounts), 100);
                if (!s.Clustered)
                {
                    s.LoadDocuments(docs);
                    for (int q = 0; q < 5_000; q++) s.Search(q % 2 == 0 ? "ledgers accounts" : "balances wor*", 10);
                }
            }
            Directory.Delete(dir, recursive: true);
        }
        Workloads.Settle();
    }

    private static object InsertAll(List<ILedgerStore> stores, List<LedgerTx> txs, int loadBatch, Action<string> log)
    {
        log("");
        log("## (a) insert, one commit per transaction, the index maintained (*-clustered: keyed by (account, order), unique index on txid; others: keyed by txid, index on (account, order))");
        log("| engine | ops/s (first 10%) | ops/s (all) | seconds | size on disk after settling |");
        log("|---|---:|---:|---:|---:|");
        var rows = new List<object>();
        foreach (var s in stores)
        {
            Workloads.Settle();
            var one = new LedgerTx[1];
            long burstAt = txs.Count / 10;
            double burst = 0;
            var sw = Stopwatch.StartNew();
            if (loadBatch > 1)
            {
                for (int i = 0; i < txs.Count; i += loadBatch)
                {
                    s.Insert(txs.GetRange(i, Math.Min(loadBatch, txs.Count - i)));
                    if (i < burstAt && i + loadBatch >= burstAt) burst = (i + loadBatch) / sw.Elapsed.TotalSeconds;
                }
            }
            else
            {
                for (int i = 0; i < txs.Count; i++)
                {
                    one[0] = txs[i];
                    s.Insert(one);
                    if (i + 1 == burstAt) burst = burstAt / sw.Elapsed.TotalSeconds;
                }
            }
            double secs = sw.Elapsed.TotalSeconds;
            s.Settle();
            long size = s.SizeOnDisk();
            log($"| {s.Name} | {burst:N0} | {txs.Count / secs:N0} | {secs:N1} | {size / 1048576.0:N1} MiB |");
            rows.Add(new { engine = s.Name, burst, sustained = txs.Count / secs, seconds = secs, size });
        }
        return rows;
    }

    /// <summary>
    /// Issue 16's method for reads: every store settled right before the timed rounds (LatticeKV
    /// flushed with its compactions finished, SQLite's log checkpointed into the database file),
    /// since the stores inserted one after another and the last one's background work would
    /// otherwise run during the first rounds; then the cache warmed, as the runner's readrandom
    /// does after a fill, by one untimed newest-100 query for every account.
    /// </summary>
    private static object SettleAndWarm(List<ILedgerStore> stores, int accounts, Action<string> log)
    {
        log("");
        log("## settled and warmed before the newest rounds (untimed: settle = flush + compactions / WAL checkpoint; warm = one newest-100 query per account)");
        log("| engine | settle s | warm s |");
        log("|---|---:|---:|");
        var rows = new List<object>();
        foreach (var s in stores)
        {
            var sw = Stopwatch.StartNew();
            s.Settle();
            double settle = sw.Elapsed.TotalSeconds;
            sw.Restart();
            for (int a = 0; a < accounts; a++) s.Newest(LedgerData.AccountName(a), 100);
            double warm = sw.Elapsed.TotalSeconds;
            log($"| {s.Name} | {settle:N2} | {warm:N2} |");
            rows.Add(new { engine = s.Name, settleSeconds = settle, warmSeconds = warm });
        }
        GC.Collect();
        return rows;
    }

    /// <summary>
    /// Every engine's timed round starts from a collected heap, so a collection that the previous
    /// engine's garbage (all engines share this process) makes due is not paid inside another
    /// engine's round; what an engine allocates in its own round is still collected in it.
    /// </summary>
    private static void CollectBeforeRound()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    private static object NewestRounds(List<ILedgerStore> stores, int accounts, int queries, int rounds, Action<string> log)
    {
        log("");
        log($"## (b) newest 100 transactions of a random account ({queries:N0} queries a round, {rounds} alternating rounds, median round)");
        log("| engine | queries/s | p50 µs | p99 µs | rows/query |");
        log("|---|---:|---:|---:|---:|");
        var perEngine = stores.ToDictionary(s => s.Name, _ => new List<(double Qps, double P50, double P99, double Rows)>());
        var perRound = new List<string>();
        for (int r = 0; r < rounds; r++)
            foreach (var s in stores)
            {
                CollectBeforeRound();
                var rng = new Random(100 + r);
                var lat = new double[queries];
                long rowsRead = 0;
                var gcPause = GC.GetTotalPauseDuration();
                int gc0 = GC.CollectionCount(0), gc1 = GC.CollectionCount(1), gc2 = GC.CollectionCount(2);
                var total = Stopwatch.StartNew();
                for (int q = 0; q < queries; q++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    rowsRead += s.Newest(LedgerData.AccountName(rng.Next(accounts)), 100);
                    lat[q] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
                }
                double qps = queries / total.Elapsed.TotalSeconds;
                double pauseMs = (GC.GetTotalPauseDuration() - gcPause).TotalMilliseconds;
                string collections = $"{GC.CollectionCount(0) - gc0}/{GC.CollectionCount(1) - gc1}/{GC.CollectionCount(2) - gc2}";
                Array.Sort(lat);
                perEngine[s.Name].Add((qps, lat[queries / 2], lat[(int)(queries * 0.99)], (double)rowsRead / queries));
                perRound.Add($"| {r + 1} | {s.Name} | {qps:N0} | {lat[queries / 2]:N1} | {lat[(int)(queries * 0.99)]:N1} | {lat[(int)(queries * 0.999)]:N1} | {lat[^1]:N1} | {collections} | {pauseMs:N1} |");
            }
        var rows = new List<object>();
        foreach (var (name, list) in perEngine)
        {
            var m = list.OrderBy(x => x.Qps).ElementAt(list.Count / 2);
            log($"| {name} | {m.Qps:N0} | {m.P50:N1} | {m.P99:N1} | {m.Rows:N1} |");
            rows.Add(new { engine = name, qps = m.Qps, p50 = m.P50, p99 = m.P99, rows = m.Rows, rounds = list.Select(x => x.Qps).ToArray() });
        }
        log("");
        log("Per round (GC collections gen0/gen1/gen2 and pause time in the round, whole process):");
        log("| round | engine | queries/s | p50 µs | p99 µs | p99.9 µs | max µs | GCs | GC pause ms |");
        log("|---:|---|---:|---:|---:|---:|---:|---|---:|");
        foreach (string line in perRound) log(line);
        log("");
        log("LatticeKV ÷ SQLite of the same schema, per round (queries/s; p50 as SQLite's p50 ÷ LatticeKV's):");
        foreach (var (name, list) in perEngine)
        {
            if (name.StartsWith("sqlite", StringComparison.Ordinal)) continue;
            string sqlite = name.EndsWith("-clustered", StringComparison.Ordinal) ? "sqlite-clustered" : "sqlite";
            if (!perEngine.TryGetValue(sqlite, out var baseList)) continue;
            var qpsRatios = list.Zip(baseList, (a, b) => (a.Qps / b.Qps).ToString("N2", CultureInfo.InvariantCulture));
            var p50Ratios = list.Zip(baseList, (a, b) => (b.P50 / a.P50).ToString("N2", CultureInfo.InvariantCulture));
            log($"- {name}: queries/s {string.Join(", ", qpsRatios)}; p50 {string.Join(", ", p50Ratios)}");
        }
        return rows;
    }

    private static object SearchAll(List<ILedgerStore> stores, List<(string Id, string Text)> docs, int queryCount, int rounds, Action<string> log)
    {
        var queries = WordNetCorpus.Queries(docs, queryCount);
        log("");
        log($"## (c) full-text search: {docs.Count:N0} WordNet 3.0 glosses (Debian wordnet-base), {queryCount:N0} two-term queries a round (every 4th with a prefix term), top 10, {rounds} alternating rounds, median");
        var loads = new Dictionary<string, (double Seconds, long Before, long After)>();
        foreach (var s in stores)
        {
            s.Settle();
            long before = s.SizeOnDisk();
            var sw = Stopwatch.StartNew();
            s.LoadDocuments(docs);
            s.Settle();
            loads[s.Name] = (sw.Elapsed.TotalSeconds, before, s.SizeOnDisk());
        }
        log("| engine | load + index s | bytes added by documents and index | queries/s | p50 µs | p99 µs | hits/query |");
        log("|---|---:|---:|---:|---:|---:|---:|");
        var perEngine = stores.ToDictionary(s => s.Name, _ => new List<(double Qps, double P50, double P99, double Hits)>());
        for (int r = 0; r < rounds; r++)
            foreach (var s in stores)
            {
                CollectBeforeRound();
                var lat = new double[queries.Count];
                long hits = 0;
                var total = Stopwatch.StartNew();
                for (int q = 0; q < queries.Count; q++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    hits += s.Search(queries[q], 10);
                    lat[q] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
                }
                double qps = queries.Count / total.Elapsed.TotalSeconds;
                Array.Sort(lat);
                perEngine[s.Name].Add((qps, lat[lat.Length / 2], lat[(int)(lat.Length * 0.99)], (double)hits / queries.Count));
            }
        var rows = new List<object>();
        foreach (var (name, list) in perEngine)
        {
            var m = list.OrderBy(x => x.Qps).ElementAt(list.Count / 2);
            var l = loads[name];
            log($"| {name} | {l.Seconds:N1} | {(l.After - l.Before) / 1048576.0:N1} MiB | {m.Qps:N0} | {m.P50:N1} | {m.P99:N1} | {m.Hits:N2} |");
            rows.Add(new { engine = name, loadSeconds = l.Seconds, addedBytes = l.After - l.Before, qps = m.Qps, p50 = m.P50, p99 = m.P99, hits = m.Hits });
        }
        return rows;
    }

    private static object TransferAll(string root, int accounts, int[] threadCounts, int seconds, Action<string> log)
    {
        log("");
        log($"## (d) transfers between {accounts:N0} accounts in transactions (read both for update, write both, commit; unsynced), {seconds} s each");
        log("| engine | mode | threads | commits/s | retries (conflicts) | sum unchanged |");
        log("|---|---|---:|---:|---:|---|");
        var rows = new List<object>();
        var makers = new List<(string Mode, Func<string, ITransferStore> Open)>
        {
            ("optimistic", d => new LatticeTransferStore(d, pessimistic: false, CacheBytes)),
            ("optimistic", d => new RocksTransferStore(d, pessimistic: false, CacheBytes)),
            ("pessimistic", d => new LatticeTransferStore(d, pessimistic: true, CacheBytes)),
            ("pessimistic", d => new RocksTransferStore(d, pessimistic: true, CacheBytes)),
        };
        foreach (int threads in threadCounts)
            foreach (var (mode, open) in makers)
            {
                string dir = Path.Combine(root, "txn");
                Workloads.Settle();
                using (var store = open(dir))
                {
                    store.Seed(accounts, 1_000_000);
                    long commits = 0, retries = 0;
                    var stop = Stopwatch.StartNew();
                    var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
                    {
                        var rng = new Random(1000 + t);
                        long c = 0, rt = 0;
                        while (stop.Elapsed.TotalSeconds < seconds)
                        {
                            int a = rng.Next(accounts), b = rng.Next(accounts - 1);
                            if (b >= a) b++;
                            long amount = rng.Next(1, 100);
                            while (!store.TryTransfer(a, b, amount)) rt++;
                            c++;
                        }
                        Interlocked.Add(ref commits, c);
                        Interlocked.Add(ref retries, rt);
                    })).ToList();
                    workers.ForEach(w => w.Start());
                    workers.ForEach(w => w.Join());
                    double secs = stop.Elapsed.TotalSeconds;
                    bool balanced = store.Total(accounts) == accounts * 1_000_000L;
                    log($"| {store.Name} | {mode} | {threads} | {commits / secs:N0} | {retries:N0} | {(balanced ? "yes" : "NO")} |");
                    rows.Add(new { engine = store.Name, mode, threads, commitsPerSecond = commits / secs, retries, balanced });
                }
                Directory.Delete(dir, recursive: true);
            }
        return rows;
    }
}
