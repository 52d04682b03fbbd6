using System.Diagnostics;
using System.Globalization;
using System.Text;
using LatticeKV.Bench.Runner;

namespace LatticeKV.Bench.Sync;

/// <summary>
/// <c>sync</c>: issue 20's figures in one run, two replicas in this process syncing over TLS on
/// loopback (real sockets, the same path as between processes): (a) what recording changes and
/// a live sync session cost local fillrandom; (b) one stream catching up N offline changes;
/// (c) commit-to-visibility latency on the other replica under continuous sync; (d) the change
/// feed's commit-to-delivery latency in process. 16-byte keys, 100-byte values.
/// </summary>
public static class SyncBench
{
    public static int Run(string[] args)
    {
        long fill = CompareCommand.LongArg(args, "--fill", 1_000_000);
        long catchUp = CompareCommand.LongArg(args, "--catch-up", 1_000_000);
        // The catch-up's warm-up (changes between a scratch pair before the measured rounds) and its measured rounds (0: the cold single shot alone).
        long warmUp = CompareCommand.LongArg(args, "--warm-up", 200_000);
        int rounds = (int)CompareCommand.LongArg(args, "--rounds", 3);
        int samples = (int)CompareCommand.LongArg(args, "--samples", 2_000);
        string root = Path.GetFullPath(CompareCommand.StringArg(args, "--dir", Path.Combine(Path.GetTempPath(), "lkv-sync-bench")));
        string outFile = CompareCommand.StringArg(args, "--out", "bench-sync.txt");
        // A comma-separated subset of fill, catch-up, latency, feed (all by default): to profile or compare one figure alone.
        var parts = CompareCommand.StringArg(args, "--parts", "fill,catch-up,latency,feed").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any())
        {
            Console.Error.WriteLine($"{root} is not empty: pass --dir with an empty or new directory (this run deletes what it creates there)");
            return 2;
        }
        Directory.CreateDirectory(root);
        var report = new StringBuilder();
        void Log(string line)
        {
            Console.WriteLine(line);
            report.AppendLine(line);
        }
        try
        {
            Log($"# sync bench: fill {fill:N0}, catch-up {catchUp:N0} (warm-up {warmUp:N0}, {rounds} rounds), {samples:N0} latency samples; {Environment.ProcessorCount} cores; {DateTime.UtcNow:u}");
            if (parts.Contains("fill")) FillCost(root, fill, Log);
            if (parts.Contains("catch-up")) CatchUp(root, catchUp, warmUp, rounds, Log);
            if (parts.Contains("latency")) Latency(root, samples, Log);
            if (parts.Contains("feed")) FeedLatency(root, samples, Log);
        }
        finally
        {
            File.WriteAllText(outFile, report.ToString());
            Directory.Delete(root, recursive: true);
        }
        return 0;
    }

    private static byte[] Key(long i) => Encoding.ASCII.GetBytes(i.ToString("D16", CultureInfo.InvariantCulture));

    private static readonly byte[] Value = Encoding.ASCII.GetBytes(new string('v', 100));

    private sealed class Replica : IDisposable
    {
        public Replica(string root, string name)
        {
            Identity = SyncIdentity.Create(name);
            Db = LatticeDb.Open(Path.Combine(root, name), new DbOptions { SyncIdentity = Identity, ReplicationLogRetention = TimeSpan.FromDays(7) });
            Family = Db.CreateColumnFamily("data", new ColumnFamilyOptions { Replicated = true });
            Plain = Db.CreateColumnFamily("plain");
        }

        public SyncIdentity Identity { get; }
        public LatticeDb Db { get; }
        public ColumnFamilyHandle Family { get; }
        public ColumnFamilyHandle Plain { get; }

        public SyncServer Serve(Replica peer)
        {
            var options = new SyncServerOptions();
            options.TrustedPeerIds.Add(peer.Identity.PeerId);
            return Db.StartSyncServer(options);
        }

        public SyncAgent Follow(Replica peer, SyncServer server)
        {
            var options = new SyncAgentOptions();
            options.Peers.Add(new SyncPeer("127.0.0.1", server.Port, peer.Identity.PeerId));
            return Db.StartSyncAgent(options);
        }

        public void Dispose()
        {
            Db.Dispose();
            Identity.Dispose();
        }
    }

    /// <summary>CPU time of the whole process (every thread: writers, flushes, compactions, both replicas' sessions) since <paramref name="start"/>.</summary>
    private static TimeSpan CpuSince(TimeSpan start) => Process.GetCurrentProcess().TotalProcessorTime - start;

    private static TimeSpan Cpu() => Process.GetCurrentProcess().TotalProcessorTime;

    /// <summary>Puts per second, and the process's CPU microseconds per put (steadier than the rate on a shared machine).</summary>
    private static (double Rate, double CpuMicros) Fill(LatticeDb db, ColumnFamilyHandle cf, long n, long offset)
    {
        var rnd = new Random(42);
        var cpu = Cpu();
        var sw = Stopwatch.StartNew();
        for (long i = 0; i < n; i++) db.Put(cf, Key(offset + rnd.NextInt64(n)), Value);
        return (n / sw.Elapsed.TotalSeconds, CpuSince(cpu).TotalMicroseconds / n);
    }

    /// <summary>fillrandom into a plain family, a replicated one, and a replicated one while a session pushes every commit to a peer; alternated twice.</summary>
    private static void FillCost(string root, long n, Action<string> log)
    {
        using var a = new Replica(root, "fill-a");
        using var b = new Replica(root, "fill-b");
        var plain = new List<(double Rate, double CpuMicros)>();
        var replicated = new List<(double Rate, double CpuMicros)>();
        var synced = new List<(double Rate, double CpuMicros)>();
        for (int round = 0; round < 2; round++)
        {
            plain.Add(Fill(a.Db, a.Plain, n / 2, round * n));
            replicated.Add(Fill(a.Db, a.Family, n / 2, round * n));
            using var server = b.Serve(a);
            using var agent = a.Follow(b, server);
            synced.Add(Fill(a.Db, a.Family, n / 2, (round + 2) * n));
        }
        double p = plain.Average(x => x.Rate), r = replicated.Average(x => x.Rate), s = synced.Average(x => x.Rate);
        log($"fillrandom ({n / 2:N0} puts per run, 2 runs each, alternated): plain {p:N0}/s; replicated {r:N0}/s " +
            $"({r / p:0.00}x plain); replicated with a live sync session {s:N0}/s ({s / r:0.00}x replicated, {s / p:0.00}x plain)");
        log($"fillrandom process CPU per put: plain {plain.Average(x => x.CpuMicros):0.00} us; replicated {replicated.Average(x => x.CpuMicros):0.00} us; " +
            $"with a live sync session (both replicas) {synced.Average(x => x.CpuMicros):0.00} us");
    }

    /// <summary>
    /// One replica holds N changes the other lacks; one SyncWith round moves them. First the
    /// figure as runs 69 and 75 took it: one cold round in a new process, which also pays the
    /// JIT's tiering of the whole path. Then a warm-up catch-up between a scratch pair, a wait
    /// until the JIT is idle, and <paramref name="rounds"/> measured rounds, each between a new
    /// pair: each round and the medians are reported.
    /// </summary>
    private static void CatchUp(string root, long n, long warmUp, int rounds, Action<string> log)
    {
        var cold = CatchUpRound(root, "catch-cold", n);
        log($"catch-up, cold (single shot, no warm-up, as runs 69 and 75): {cold.Changes:N0} offline changes in {cold.Seconds:0.00} s = {cold.Rate:N0} changes/s (one stream, TLS on loopback); " +
            $"process CPU {cold.CpuMicros:0.00} us per change (sender and receiver)");
        if (rounds <= 0) return;
        var warm = CatchUpRound(root, "catch-warm", warmUp);
        Workloads.WaitForQuietJit();
        log($"catch-up warm-up: {warm.Changes:N0} changes between a scratch pair ({warm.Rate:N0}/s), then the JIT idle for 0.5 s");
        var measured = new List<(long Changes, double Seconds, double Rate, double CpuMicros)>();
        for (int round = 0; round < rounds; round++)
        {
            var r = CatchUpRound(root, $"catch-{round}", n);
            measured.Add(r);
            log($"catch-up, warm, round {round + 1}/{rounds}: {r.Changes:N0} changes in {r.Seconds:0.00} s = {r.Rate:N0} changes/s; process CPU {r.CpuMicros:0.00} us per change");
        }
        double rate = Median(measured.Select(x => x.Rate)), cpu = Median(measured.Select(x => x.CpuMicros)), seconds = Median(measured.Select(x => x.Seconds));
        log($"catch-up, warm, median of {rounds} rounds: {rate:N0} changes/s ({seconds:0.00} s for {n:N0}); process CPU {cpu:0.00} us per change (sender and receiver)");
    }

    private static (long Changes, double Seconds, double Rate, double CpuMicros) CatchUpRound(string root, string name, long n)
    {
        var result = default(SyncResult);
        double seconds;
        TimeSpan cpuUsed;
        {
            using var a = new Replica(root, name + "-a");
            using var b = new Replica(root, name + "-b");
            var batch = new WriteBatch();
            for (long i = 0; i < n; i++)
            {
                batch.Put(a.Family, Key(i), Value);
                if (batch.Count == 1000)
                {
                    a.Db.Write(batch);
                    batch.Clear();
                }
            }
            if (batch.Count > 0) a.Db.Write(batch);
            using var server = a.Serve(b);
            var cpu = Cpu();
            var sw = Stopwatch.StartNew();
            result = b.Db.SyncWith(new SyncPeer("127.0.0.1", server.Port, a.Identity.PeerId)).GetAwaiter().GetResult();
            seconds = sw.Elapsed.TotalSeconds;
            cpuUsed = CpuSince(cpu);
        }
        // Each round's pair is gone before the next: its files do not crowd the disk or the page cache.
        Directory.Delete(Path.Combine(root, name + "-a"), recursive: true);
        Directory.Delete(Path.Combine(root, name + "-b"), recursive: true);
        long changes = Math.Max(1, result.ChangesReceived);
        return (result.ChangesReceived, seconds, result.ChangesReceived / seconds, cpuUsed.TotalMicroseconds / changes);
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    /// <summary>Under continuous sync, a put on one replica until the other's change feed delivers it.</summary>
    private static void Latency(string root, int samples, Action<string> log)
    {
        using var a = new Replica(root, "lat-a");
        using var b = new Replica(root, "lat-b");
        using var server = b.Serve(a);
        using var agent = a.Follow(b, server);
        var latencies = Measure(a.Db, a.Family, b.Db, samples);
        log($"commit on one replica to visible on the other, continuous sync: p50 {Percentile(latencies, 0.50):0.000} ms, p99 {Percentile(latencies, 0.99):0.000} ms, max {latencies[^1]:0.000} ms ({samples:N0} puts, one at a time)");
    }

    /// <summary>In process: a put until WatchChangesAsync delivers it.</summary>
    private static void FeedLatency(string root, int samples, Action<string> log)
    {
        using var a = new Replica(root, "feed");
        var latencies = Measure(a.Db, a.Family, a.Db, samples);
        log($"change feed, commit to delivery in process: p50 {Percentile(latencies, 0.50):0.000} ms, p99 {Percentile(latencies, 0.99):0.000} ms, max {latencies[^1]:0.000} ms ({samples:N0} puts, one at a time)");
    }

    private static List<double> Measure(LatticeDb writer, ColumnFamilyHandle cf, LatticeDb reader, int samples)
    {
        var start = reader.GetChanges(ChangeCursor.Beginning).LastOrDefault()?.Cursor ?? ChangeCursor.Beginning;
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var feed = reader.WatchChangesAsync(start, cts.Token).GetAsyncEnumerator(cts.Token);
        var latencies = new List<double>(samples);
        try
        {
            for (int i = 0; i < samples + 100; i++)
            {
                var key = Encoding.ASCII.GetBytes("latency/" + i.ToString("D8", CultureInfo.InvariantCulture));
                writer.Put(cf, key, Value);
                long committed = Stopwatch.GetTimestamp();
                while (true)
                {
                    if (!feed.MoveNextAsync().AsTask().GetAwaiter().GetResult()) throw new InvalidOperationException("the feed ended");
                    if (feed.Current.Key.AsSpan().SequenceEqual(key)) break;
                }
                if (i >= 100) latencies.Add(Stopwatch.GetElapsedTime(committed).TotalMilliseconds); // the first 100 warm up
            }
        }
        finally
        {
            feed.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        latencies.Sort();
        return latencies;
    }

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];
}
