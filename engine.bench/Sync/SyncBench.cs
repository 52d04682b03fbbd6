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
            Log($"# sync bench: fill {fill:N0}, catch-up {catchUp:N0}, {samples:N0} latency samples; {Environment.ProcessorCount} cores; {DateTime.UtcNow:u}");
            if (parts.Contains("fill")) FillCost(root, fill, Log);
            if (parts.Contains("catch-up")) CatchUp(root, catchUp, Log);
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

    /// <summary>One replica holds N changes the other lacks; one SyncWith round moves them.</summary>
    private static void CatchUp(string root, long n, Action<string> log)
    {
        using var a = new Replica(root, "catch-a");
        using var b = new Replica(root, "catch-b");
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
        var result = b.Db.SyncWith(new SyncPeer("127.0.0.1", server.Port, a.Identity.PeerId)).GetAwaiter().GetResult();
        double seconds = sw.Elapsed.TotalSeconds;
        double cpuMicros = CpuSince(cpu).TotalMicroseconds / Math.Max(1, result.ChangesReceived);
        log($"catch-up: {result.ChangesReceived:N0} offline changes in {seconds:0.00} s = {result.ChangesReceived / seconds:N0} changes/s (one stream, TLS on loopback); " +
            $"process CPU {cpuMicros:0.00} us per change (sender and receiver)");
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
