using System.Diagnostics;
using System.Globalization;
using LatticeKV.Bench.Runner;
using LatticeKV.Ledger;
using LatticeKV.Ledger.Merkle;

namespace LatticeKV.Bench.Ledger;

/// <summary>
/// <c>ledgerlog</c>: issue 23's figures in one run. (a) Appending transactions with the Merkle log,
/// balances and indexes on (<c>Ledger.AppendBatch</c>) against plain batched puts of the same
/// record bytes under the same keys, in fresh databases, alternating over rounds; single appends
/// too. (b) Inclusion-proof generation p50/p99 over a Merkle log of many leaves, proof verification
/// per second, consistency proofs. (c) <c>VerifyBalances</c> over the ledger of (a).
/// </summary>
public static class VerifiableLedgerBench
{
    private const long CacheBytes = 256L << 20;
    private static bool s_replicate = true;

    public static int Run(string[] args)
    {
        long txns = CompareCommand.LongArg(args, "--txns", 1_000_000);
        int accounts = (int)CompareCommand.LongArg(args, "--accounts", 10_000);
        int batch = (int)CompareCommand.LongArg(args, "--batch", 1_000);
        int rounds = (int)Math.Max(1, CompareCommand.LongArg(args, "--rounds", 3));
        long singles = CompareCommand.LongArg(args, "--singles", 100_000);
        long leaves = CompareCommand.LongArg(args, "--leaves", 10_000_000);
        int proofs = (int)CompareCommand.LongArg(args, "--proofs", 100_000);
        string parts = CompareCommand.StringArg(args, "--parts", "append,proofs,verify");
        s_replicate = !args.Contains("--no-replicate");
        string root = Path.GetFullPath(CompareCommand.StringArg(args, "--dir", Path.Combine(Path.GetTempPath(), "lkv-ledgerlog-bench")));
        if (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any())
        {
            Console.Error.WriteLine($"{root} is not empty: pass --dir with an empty or new directory (this run deletes what it creates there)");
            return 2;
        }
        Directory.CreateDirectory(root);
        try
        {
            Console.WriteLine($"# ledgerlog: ledger.tx {(s_replicate ? "replicated (the default)" : "not replicated")}; {txns:N0} transactions over {accounts:N0} accounts, batches of {batch:N0}, {rounds} rounds; {leaves:N0} leaves for proofs; {Environment.ProcessorCount} cores; {DateTime.UtcNow:u}");
            string? verifyDb = null;
            if (parts.Contains("append", StringComparison.Ordinal) || parts.Contains("verify", StringComparison.Ordinal))
                verifyDb = Appends(root, Records(txns, accounts), batch, rounds, singles, accounts);
            if (parts.Contains("proofs", StringComparison.Ordinal)) Proofs(root, leaves, proofs);
            if (parts.Contains("verify", StringComparison.Ordinal) && verifyDb is not null) VerifyBalances(verifyDb, txns);
            return 0;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static List<LedgerTransaction> Records(long count, int accounts)
    {
        var random = new Random(23);
        var list = new List<LedgerTransaction>((int)count);
        var raw = new byte[200];
        for (long i = 0; i < count; i++)
        {
            random.NextBytes(raw);
            int from = random.Next(accounts), to = random.Next(accounts);
            long amount = random.Next(1, 1_000_000);
            list.Add(new LedgerTransaction
            {
                Chain = "bitcoin",
                TransactionId = i.ToString("x64", CultureInfo.InvariantCulture),
                BlockHeight = 800_000 + i / 2_000,
                BlockHash = (800_000 + i / 2_000).ToString("x64", CultureInfo.InvariantCulture),
                Position = (int)(i % 2_000),
                Status = LedgerStatus.Confirmed(1),
                RawTransaction = (byte[])raw.Clone(),
                Postings = [new LedgerPosting($"acct{from:D6}", "BTC", -amount), new LedgerPosting($"acct{to:D6}", "BTC", amount)],
            });
        }
        return list;
    }

    private static LedgerOptions LedgerOptions() => new() { ReplicateTransactions = s_replicate };

    private static DbOptions Options() => new() { CreateIfMissing = true, BlockCacheCapacity = CacheBytes };

    /// <summary>Ledger appends against plain puts, alternating which goes first; returns a ledger database left for VerifyBalances.</summary>
    private static string Appends(string root, List<LedgerTransaction> records, int batch, int rounds, long singles, int accounts)
    {
        var plainRates = new List<double>();
        var ledgerRates = new List<double>();
        var replicatedRates = new List<double>();
        string? kept = null;
        for (int round = 0; round < rounds; round++)
        {
            foreach (bool ledgerFirst in round % 2 == 0 ? new[] { true, false } : [false, true])
            {
                string dir = Path.Combine(root, $"append-{round}-{(ledgerFirst ? "ledger" : "plain")}");
                if (ledgerFirst)
                {
                    double rate = LedgerAppend(dir, records, batch);
                    ledgerRates.Add(rate);
                    Console.WriteLine($"round {round + 1}: ledger AppendBatch {rate:N0} tx/s");
                    if (round == rounds - 1) kept = dir;
                    else Directory.Delete(dir, recursive: true);
                }
                else
                {
                    double rate = PlainPuts(dir, records, batch);
                    plainRates.Add(rate);
                    Console.WriteLine($"round {round + 1}: plain batched puts {rate:N0} records/s");
                    Directory.Delete(dir, recursive: true);
                }
            }
            if (s_replicate)
            {
                // The replicated ledger.tx's twin: the same plain puts into a replicated family (an extra line; the ratio above stays against plain puts).
                string dir = Path.Combine(root, $"append-{round}-replicated");
                double rate = PlainPuts(dir, records, batch, replicated: true);
                replicatedRates.Add(rate);
                Console.WriteLine($"round {round + 1}: plain batched puts into a replicated family {rate:N0} records/s");
                Directory.Delete(dir, recursive: true);
            }
        }
        double ledger = Median(ledgerRates), plain = Median(plainRates);
        Console.WriteLine($"append: ledger {ledger:N0} tx/s, plain {plain:N0} records/s, ratio {ledger / plain:F2} (goal >= 0.70)");
        if (replicatedRates.Count > 0)
        {
            double twin = Median(replicatedRates);
            Console.WriteLine($"append: plain batched puts into a replicated family {twin:N0} records/s; ledger against it {ledger / twin:F2}");
        }

        if (singles <= 0) return kept!;
        string single = Path.Combine(root, "single");
        using (var db = LatticeDb.Open(single, Options()))
        using (var ledgerApi = LatticeKV.Ledger.Ledger.Open(db, LedgerOptions()))
        {
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < singles && i < records.Count; i++) ledgerApi.Append(records[i]);
            sw.Stop();
            Console.WriteLine($"append: single Append {Math.Min(singles, records.Count) / sw.Elapsed.TotalSeconds:N0} tx/s (one thread, one write each)");
        }
        Directory.Delete(single, recursive: true);
        return kept!;
    }

    private static double LedgerAppend(string dir, List<LedgerTransaction> records, int batch)
    {
        using var db = LatticeDb.Open(dir, Options());
        using var ledger = LatticeKV.Ledger.Ledger.Open(db, LedgerOptions());
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < records.Count; i += batch) ledger.AppendBatch(records.GetRange(i, Math.Min(batch, records.Count - i)));
        sw.Stop();
        return records.Count / sw.Elapsed.TotalSeconds;
    }

    private static double PlainPuts(string dir, List<LedgerTransaction> records, int batch, bool replicated = false)
    {
        // The same record bytes under the same keys the ledger stores them by, nothing derived.
        var encoded = records.Select(r => (Key: LedgerKeys.Transaction(r.Chain, r.TransactionId), Value: LedgerRecordCodec.Encode(LedgerRecordCodec.Canonical(r)))).ToList();
        using var db = LatticeDb.Open(dir, Options());
        var family = db.CreateColumnFamily("tx", new ColumnFamilyOptions { Replicated = replicated });
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < encoded.Count; i += batch)
        {
            var wb = new WriteBatch();
            for (int j = i; j < Math.Min(i + batch, encoded.Count); j++) wb.Put(family, encoded[j].Key, encoded[j].Value);
            db.Write(wb);
        }
        sw.Stop();
        return encoded.Count / sw.Elapsed.TotalSeconds;
    }

    private static void Proofs(string root, long leaves, int count)
    {
        string dir = Path.Combine(root, "proofs");
        using var db = LatticeDb.Open(dir, Options());
        var family = db.CreateColumnFamily("merkle", new ColumnFamilyOptions());
        var log = MerkleLog.Open(db, family);
        var leaf = new byte[200];
        var random = new Random(9162);
        var sw = Stopwatch.StartNew();
        for (long i = 0; i < leaves; i += 10_000)
        {
            var wb = new WriteBatch();
            for (long j = i; j < Math.Min(i + 10_000, leaves); j++)
            {
                random.NextBytes(leaf);
                log.Stage(wb, leaf);
            }
            db.Write(wb);
            log.Commit();
        }
        sw.Stop();
        Console.WriteLine($"proofs: built a log of {log.Size:N0} leaves in {sw.Elapsed.TotalSeconds:F1} s ({log.Size / sw.Elapsed.TotalSeconds:N0} leaves/s)");
        long size = log.Size;
        byte[] rootHash = log.RootHash(size);

        foreach (string pass in new[] { "first pass", "second pass" })
        {
            var times = new List<double>(count);
            var generated = new List<(long Index, InclusionProof Proof)>(count);
            for (int i = 0; i < count; i++)
            {
                long index = random.NextInt64(size);
                long t0 = Stopwatch.GetTimestamp();
                var proof = log.GetInclusionProof(index, size);
                times.Add(Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
                generated.Add((index, proof));
            }
            times.Sort();
            Console.WriteLine($"proofs: inclusion proof at {size:N0} leaves ({pass}, block cache {CacheBytes >> 20} MiB): p50 {Percentile(times, 0.50):F1} us, p99 {Percentile(times, 0.99):F1} us, p99.9 {Percentile(times, 0.999):F1} us (goal p99 < 100 us)");
            if (pass != "second pass") continue;
            var hashes = generated.Select(g => log.LeafHash(g.Index)).ToList();
            var v = Stopwatch.StartNew();
            int ok = 0;
            for (int i = 0; i < generated.Count; i++)
                if (MerkleProof.VerifyInclusion(generated[i].Index, size, hashes[i], generated[i].Proof.Hashes, rootHash)) ok++;
            v.Stop();
            if (ok != generated.Count) throw new InvalidOperationException($"{generated.Count - ok} proofs did not verify");
            Console.WriteLine($"proofs: verification {generated.Count / v.Elapsed.TotalSeconds:N0} inclusion proofs/s (one thread)");
        }

        var consistency = new List<double>(count / 10);
        for (int i = 0; i < count / 10; i++)
        {
            long old = 1 + random.NextInt64(size - 1);
            long t0 = Stopwatch.GetTimestamp();
            log.GetConsistencyProof(old, size);
            consistency.Add(Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
        }
        consistency.Sort();
        Console.WriteLine($"proofs: consistency proof to {size:N0} leaves: p50 {Percentile(consistency, 0.50):F1} us, p99 {Percentile(consistency, 0.99):F1} us");
    }

    private static void VerifyBalances(string dir, long txns)
    {
        using var db = LatticeDb.Open(dir, Options());
        using var ledger = LatticeKV.Ledger.Ledger.Open(db, LedgerOptions());
        // The appends' records and heap are gone before this peak starts: it is the verification's own.
        ProcessStats.ResetPeakRss();
        long before = ProcessStats.PeakRss();
        var sw = Stopwatch.StartNew();
        var report = ledger.VerifyBalances();
        sw.Stop();
        if (!report.IsConsistent) throw new InvalidOperationException("the benchmark's ledger does not verify");
        Console.WriteLine($"verify: VerifyBalances over {report.TransactionsChecked:N0} transactions and {report.BalancesChecked:N0} balances in {sw.Elapsed.TotalSeconds:F1} s ({report.TransactionsChecked / sw.Elapsed.TotalSeconds:N0} tx/s); peak RSS during it {ProcessStats.PeakRss() >> 20:N0} MiB (from {before >> 20:N0} MiB at its start); process peak working set {Process.GetCurrentProcess().PeakWorkingSet64 >> 20:N0} MiB");
        ProcessStats.ResetPeakRss();
        before = ProcessStats.PeakRss();
        var full = Stopwatch.StartNew();
        var all = ledger.Verify();
        full.Stop();
        Console.WriteLine($"verify: Verify (balances, indexes, every Merkle leaf and tile, checkpoints) over {txns:N0} transactions in {full.Elapsed.TotalSeconds:F1} s, consistent {all.IsConsistent}; peak RSS during it {ProcessStats.PeakRss() >> 20:N0} MiB (from {before >> 20:N0} MiB at its start)");
    }

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];

    private static double Median(List<double> xs)
    {
        var s = xs.OrderBy(x => x).ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }
}
