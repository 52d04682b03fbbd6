using System.Diagnostics;
using LatticeKV.Bench.Engines;

namespace LatticeKV.Bench.Runner;

/// <summary>
/// db_bench's workloads over any <see cref="IEngine"/>. Each returns the measured phase only:
/// set-up (filling, flushing, warming the cache) happens before the clock starts.
/// </summary>
public sealed class Workloads(Func<string, long?, IEngine> open, string root, long num, Action<string> log, long? readCount = null)
{
    // Operations of each read workload, and keys read to warm the cache (N unless capped with
    // --reads, for runs so large that N reads would take longer than the fill).
    private readonly long _reads = Math.Min(num, readCount ?? num);

    public static readonly string[] All =
        ["fillseq", "fillrandom", "overwrite", "readrandom", "readmissing", "seekrandom", "readwhilewriting", "deleterandom", "fillsync", "fillsync16", "ycsb-a",
         "readmemtable", "compactall", "readcompacting"];

    /// <summary>Workloads that write: they report a sustained rate beside the burst rate.</summary>
    public static readonly string[] Writing =
        ["fillseq", "fillrandom", "overwrite", "readwhilewriting", "deleterandom", "fillsync", "fillsync16", "ycsb-a"];

    private const int ValueSize = 100;
    private readonly KeyValueGenerator _gen = new(ValueSize);
    private IEngine? _filled;      // a database holding keys 0..num-1 in random order, flushed and compacted
    private string? _filledPath;
    private bool _filledKept;      // opened from a directory another process filled: never deleted here

    /// <summary>Workloads that only read the filled database, which can run in rounds across processes on one kept fill.</summary>
    public static readonly string[] ReadOnlyOnFilled = ["readrandom", "readmissing", "seekrandom"];

    /// <summary>
    /// Runs every operation kind on a scratch database before anything is measured, so managed
    /// engines are measured with optimized (tiered) code, as native ones always are.
    /// </summary>
    public void WarmUp()
    {
        JitMarks.Mark("warmup", "start");
        string path = EmptyDirectory("warmup");
        long count = Math.Min(num, 200_000);
        using (var e = open(path, null))
        {
            Fill(e, sequential: true, count, sync: false);
            Fill(e, sequential: false, count, sync: false);
            e.Flush();
            e.WaitForBackgroundWork();
            ReadEveryKey(e, count);
            Span<byte> key = stackalloc byte[KeyValueGenerator.KeySize];
            for (long i = 0; i < count; i += 10)
            {
                KeyValueGenerator.Key(i, key);
                e.Scan(key, 10);
                if (i % 20 == 0) e.Delete(key, false);
            }
            KeepReadingUntilTiered(e, count);
            JitMarks.Mark("warmup", "background work start");
            e.WarmUpBackgroundWork();
            JitMarks.Mark("warmup", "background work done");
        }
        DeleteDatabase(path);
        Settle();
        if (QuietJitAfterWarmUp) WaitForQuietJit();
        JitMarks.Mark("warmup", "done");
    }

    /// <summary>
    /// With <c>compare --warmup-jit-quiet</c> (every engine alike): after the warm-up, wait until
    /// the JIT has compiled nothing for half a second (at most 15 s), so that the tiering the
    /// warm-up's own work set off (promotions queued while new methods kept pausing the
    /// background compiler) is done before the clock starts, not during the first workload.
    /// </summary>
    public bool QuietJitAfterWarmUp { get; init; }

    internal static void WaitForQuietJit()
    {
        var total = Stopwatch.StartNew();
        long last = System.Runtime.JitInfo.GetCompiledMethodCount();
        var quiet = Stopwatch.StartNew();
        while (quiet.Elapsed < TimeSpan.FromMilliseconds(500) && total.Elapsed < TimeSpan.FromSeconds(15))
        {
            Thread.Sleep(50);
            long now = System.Runtime.JitInfo.GetCompiledMethodCount();
            if (now != last) quiet.Restart();
            last = now;
        }
        JitMarks.Mark("warmup", "JIT quiet");
    }

    /// <summary>
    /// Waits until the disk has taken what earlier work left pending (<c>sync</c>): the warm-up's
    /// tables being written back, and the blocks of deleted files, which this machine's ext4
    /// (mounted with <c>discard</c>) trims at its next journal commit. Left pending, they landed
    /// in the first fsyncs of the next workload, whichever engine ran it.
    /// </summary>
    internal static void Settle()
    {
        if (OperatingSystem.IsLinux()) SyncAll();
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "sync")]
    private static extern void SyncAll();

    /// <summary>
    /// Random point reads and short scans for a fixed time. The JIT promotes a method to its final
    /// optimized code only after it has been called for a while (tiering with dynamic PGO) and
    /// compiles it in the background; 20,000 quick scans were not enough, so seekrandom ran partly
    /// on unoptimized code (LatticeKV alone: 137–171k ops/s with p99 13–64 µs, against 241k and
    /// p99 7 µs with tiering off). Native engines are unaffected.
    /// </summary>
    private static void KeepReadingUntilTiered(IEngine e, long count)
    {
        var buffer = new byte[1024];
        Span<byte> key = stackalloc byte[KeyValueGenerator.KeySize];
        var rnd = new Random(11);
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(2))
        {
            for (int i = 0; i < 1000; i++)
            {
                KeyValueGenerator.Key(rnd.NextInt64(count), key);
                e.Scan(key, 10);
                KeyValueGenerator.Key(rnd.NextInt64(count), key);
                e.Get(key, buffer);
            }
        }
    }

    public WorkloadResult Run(string workload)
    {
        log($"  {workload}...");
        return workload switch
        {
            "fillseq" => Fresh(workload, e => Fill(e, sequential: true, num, sync: false)),
            "fillrandom" => Fresh(workload, e => Fill(e, sequential: false, num, sync: false)),
            "fillsync" => Fresh(workload, e => Fill(e, sequential: false, Math.Min(num, 10_000), sync: true), probeFirst: true),
            // As db_bench with --threads=16: each writer does what fillsync's one does. Sharing that
            // count took a third of a second, where one slow fsync moved the rate by a tenth.
            "fillsync16" => Fresh(workload, e => FillThreads(e, 16, 16 * Math.Min(num, 10_000), sync: true)),
            "overwrite" => OnFilled(workload, e => Fill(e, sequential: false, num, sync: false)),
            "readrandom" => OnFilled(workload, e => Read(e, _reads, missing: false)),
            "readmissing" => OnFilled(workload, e => Read(e, _reads, missing: true)),
            "seekrandom" => OnFilled(workload, e => Seek(e, _reads / 10)),
            "readwhilewriting" => OnFilled(workload, e => ReadWhileWriting(e, num)),
            "deleterandom" => OnFilled(workload, e => Delete(e, num)),
            "ycsb-a" => OnFilled(workload, e => YcsbA(e, num)),
            "readmemtable" => Fresh(workload, e => ReadMemtable(e), writeBuffer: 4L << 30),
            "compactall" => OnFilled(workload, e => CompactAll(e)),
            "readcompacting" => Fresh(workload, e => ReadWhileCompacting(e)),
            _ => throw new ArgumentException($"unknown workload '{workload}'; known: {string.Join(", ", All)}"),
        };
    }

    private sealed record Phase(long Operations, long UserBytes, long[] Latencies, double Seconds, string Note = "");

    /// <summary>What was measured around a phase: the time until background work was done, and the disk.</summary>
    private sealed record Aftermath(double? SettleSeconds, long? Written, long? DiskSize, long? AllocatedOpen, long? AllocatedClosed);

    /// <summary>
    /// Runs <paramref name="body"/> on a new database. With <paramref name="probeFirst"/> the
    /// machine's fsync rate is measured just before, with the database open, for a workload whose
    /// rate is bounded by it.
    /// </summary>
    private WorkloadResult Fresh(string name, Func<IEngine, Phase> body, long? writeBuffer = null, bool probeFirst = false)
    {
        string path = EmptyDirectory(name);
        var engine = open(path, writeBuffer);
        bool disposed = false;
        try
        {
            Settle();
            FsyncProbe.Rates? probe = null;
            if (probeFirst)
            {
                probe = FsyncProbe.Measure(root, TimeSpan.FromSeconds(2));
                Settle();
            }
            double warmed = HostMemoryWarmer.Run();
            if (warmed > 0) log($"    (touched fresh memory first: {warmed:0} ms)");
            ProcessStats.ResetPeakRss();
            PhasePeaks.Mark(name, "reset");
            JitMarks.Mark(name, "start");
            long written0 = ProcessStats.BytesWritten();
            var activity0 = engine.ActivityCounters;
            var phase = body(engine);
            PhasePeaks.Mark(name, "operations done");
            JitMarks.Mark(name, "operations done");
            double settle = FlushAndWait(engine, name);
            phase = WithNote(phase, Activity(activity0, engine.ActivityCounters));
            long written = ProcessStats.BytesWritten() - written0;
            long allocatedOpen = ProcessStats.AllocatedBytes(path);
            long size = ProcessStats.DirectorySize(path);
            long peak = ProcessStats.PeakRss();
            engine.Dispose();
            disposed = true;
            var after = new Aftermath(settle, written, size, allocatedOpen, ProcessStats.AllocatedBytes(path));
            return Summarize(engine.Name, name, phase, after, phase.UserBytes, peak: peak) with { ProbeBefore = probe };
        }
        finally
        {
            if (!disposed) engine.Dispose();
            DeleteDatabase(path);
        }
    }

    /// <summary>Flushes the memtable and waits until background work is done; returns the seconds it took.</summary>
    private static double FlushAndWait(IEngine engine, string workload = "")
    {
        var sw = Stopwatch.StartNew();
        engine.Flush();
        PhasePeaks.Mark(workload, "flushed");
        engine.WaitForBackgroundWork();
        PhasePeaks.Mark(workload, "background work done");
        JitMarks.Mark(workload, "background work done");
        return sw.Elapsed.TotalSeconds;
    }

    private WorkloadResult OnFilled(string name, Func<IEngine, Phase> body)
    {
        var engine = EnsureFilled();
        string shape = engine.Shape;
        ProcessStats.ResetPeakRss();
        long written0 = ProcessStats.BytesWritten();
        var activity0 = engine.ActivityCounters;
        var phase = body(engine);
        if (shape.Length > 0) phase = WithNote(phase, $"tree {shape}");
        // Mutating workloads leave the shared database changed: rebuild it for the next one.
        bool mutates = !ReadOnlyOnFilled.Contains(name);
        if (mutates && _filledKept) throw new InvalidOperationException($"{name} would change the kept database another process filled");
        long logical = num * (KeyValueGenerator.KeySize + ValueSize);
        if (!mutates)
        {
            phase = WithNote(phase, Activity(activity0, engine.ActivityCounters));
            return Summarize(engine.Name, name, phase, new Aftermath(null, null, null, ProcessStats.AllocatedBytes(_filledPath!), null), logical, peak: ProcessStats.PeakRss());
        }
        double settle = FlushAndWait(engine);
        phase = WithNote(phase, Activity(activity0, engine.ActivityCounters));
        long written = ProcessStats.BytesWritten() - written0;
        long allocatedOpen = ProcessStats.AllocatedBytes(_filledPath!);
        long? size = name == "deleterandom" ? null : ProcessStats.DirectorySize(_filledPath!);
        long peak = ProcessStats.PeakRss();
        engine.Dispose();
        _filled = null;
        var after = new Aftermath(settle, written, size, allocatedOpen, ProcessStats.AllocatedBytes(_filledPath!));
        var result = Summarize(engine.Name, name, phase, after, logical, name == "compactall" ? logical : null, peak);
        DropFilled();
        return result;
    }

    private static Phase WithNote(Phase p, string note)
        => note.Length == 0 ? p : p with { Note = p.Note.Length > 0 ? $"{p.Note}; {note}" : note };

    /// <summary>How the engine's activity counters moved over a workload ("backups.taken +3, ..."); empty for engines without any.</summary>
    private static string Activity(IReadOnlyDictionary<string, long> before, IReadOnlyDictionary<string, long> after)
        => string.Join(", ", after.Select(kv => $"{kv.Key} +{kv.Value - before.GetValueOrDefault(kv.Key)}"));

    private IEngine EnsureFilled()
    {
        if (_filled is not null) return _filled;
        _filledPath = EmptyDirectory("filled");
        log("    (filling the shared database)");
        _filled = open(_filledPath, null);
        FillShared(_filled);
        // Warm the cache, as db_bench's readrandom does after a fill.
        ReadEveryKey(_filled, _reads);
        return _filled;
    }

    private void FillShared(IEngine e)
    {
        Fill(e, sequential: false, num, sync: false);
        e.Flush();
        e.WaitForBackgroundWork();
    }

    /// <summary>
    /// Fills the shared database at <paramref name="path"/> (a new directory) and closes it, for
    /// later processes to read through <see cref="UseKeptFill"/>.
    /// </summary>
    public void FillAndKeep(string path)
    {
        log("    (filling the kept database)");
        using (var e = open(ResetDirectory(path), null)) FillShared(e);
        Settle();
    }

    /// <summary>
    /// Opens the database <see cref="FillAndKeep"/> left at <paramref name="path"/> as the shared
    /// filled database and warms its cache; only workloads of <see cref="ReadOnlyOnFilled"/> may
    /// run on it, and it is left in place.
    /// </summary>
    public void UseKeptFill(string path, bool warmCache = true)
    {
        if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"no kept database at {path}");
        DropFilled();
        _filledPath = path;
        _filledKept = true;
        _filled = open(path, null);
        _filled.WaitForBackgroundWork();
        if (warmCache) ReadEveryKey(_filled, _reads);
        Settle();
    }

    /// <summary>Reads keys 0..count-1 once each.</summary>
    private static void ReadEveryKey(IEngine e, long count)
    {
        var buffer = new byte[1024];
        Span<byte> key = stackalloc byte[KeyValueGenerator.KeySize];
        for (long i = 0; i < count; i++)
        {
            KeyValueGenerator.Key(i, key);
            e.Get(key, buffer);
        }
    }

    /// <summary>A new empty directory under the run's root (a leftover of an earlier run is removed).</summary>
    private string EmptyDirectory(string name) => ResetDirectory(Path.Combine(root, name));

    private static string ResetDirectory(string path)
    {
        DeleteDatabase(path);
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Deletes a database directory and what an engine keeps beside it (LatticeKV's automatic backups).</summary>
    internal static void DeleteDatabase(string path)
    {
        foreach (var dir in new[] { path, LatticeEngine.BackupDirectoryOf(path) })
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
    }

    private void DropFilled()
    {
        _filled?.Dispose();
        _filled = null;
        if (!_filledKept && _filledPath is not null) DeleteDatabase(_filledPath);
        _filledPath = null;
        _filledKept = false;
    }

    public void Cleanup() => DropFilled();

    private Phase Fill(IEngine e, bool sequential, long count, bool sync)
    {
        var order = sequential ? null : Permutation(count, 17);
        var lat = new long[count];
        Span<byte> key = stackalloc byte[KeyValueGenerator.KeySize];
        var sw = Stopwatch.StartNew();
        for (long i = 0; i < count; i++)
        {
            KeyValueGenerator.Key(order is null ? i : order[i], key);
            long t0 = Stopwatch.GetTimestamp();
            e.Put(key, _gen.NextValue(), sync);
            lat[i] = Stopwatch.GetTimestamp() - t0;
        }
        return new Phase(count, count * (KeyValueGenerator.KeySize + ValueSize), lat, sw.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// <paramref name="threads"/> writers share <paramref name="count"/> puts. Their value pools
    /// (a megabyte of random bytes each) are built and the threads started before the clock
    /// starts: building sixteen pools took tens of milliseconds, a tenth of fillsync16's whole
    /// window, and the first writers ran alone meanwhile.
    /// </summary>
    private Phase FillThreads(IEngine e, int threads, long count, bool sync)
    {
        var lat = new long[count];
        long next = -1;
        var workers = new Thread[threads];
        using var ready = new CountdownEvent(threads);
        using var go = new ManualResetEventSlim(false);
        for (int t = 0; t < threads; t++)
        {
            var gen = new KeyValueGenerator(ValueSize, seed: 1000 + t);
            workers[t] = new Thread(() =>
            {
                Span<byte> key = stackalloc byte[KeyValueGenerator.KeySize];
                ready.Signal();
                go.Wait();
                long i;
                while ((i = Interlocked.Increment(ref next)) < count)
                {
                    KeyValueGenerator.Key(i * 7919 % count, key);
                    long t0 = Stopwatch.GetTimestamp();
                    e.Put(key, gen.NextValue(), sync);
                    lat[i] = Stopwatch.GetTimestamp() - t0;
                }
            });
            workers[t].Start();
        }
        ready.Wait();
        var sw = Stopwatch.StartNew();
        go.Set();
        foreach (var w in workers) w.Join();
        double seconds = sw.Elapsed.TotalSeconds;
        string note = e is LatticeEngine le ? WritesPerSync(le.Db) : "";
        return new Phase(count, count * (KeyValueGenerator.KeySize + ValueSize), lat, seconds, note);
    }

    private static string WritesPerSync(LatticeDb db)
    {
        var s = db.GetStatistics();
        return s["wal.syncs"] == 0 ? "" : $"{(double)s["wal.synced.batches"] / s["wal.syncs"]:F1} writes per fsync";
    }

    private Phase Read(IEngine e, long count, bool missing)
    {
        var lat = new long[count];
        var buffer = new byte[1024];
        // A missing key is a present key plus one byte, as db_bench does: it falls inside the
        // tables' key ranges, so only the bloom filter can avoid reading a block.
        Span<byte> keyBuffer = stackalloc byte[KeyValueGenerator.KeySize + 1];
        keyBuffer[^1] = (byte)'.';
        var key = missing ? keyBuffer : keyBuffer[..KeyValueGenerator.KeySize];
        var rnd = new Random(99);
        long found = 0;
        var sw = Stopwatch.StartNew();
        for (long i = 0; i < count; i++)
        {
            KeyValueGenerator.Key(rnd.NextInt64(num), keyBuffer);
            long t0 = Stopwatch.GetTimestamp();
            if (e.Get(key, buffer) >= 0) found++;
            lat[i] = Stopwatch.GetTimestamp() - t0;
        }
        double secs = sw.Elapsed.TotalSeconds;
        if (!missing && found != count) throw new InvalidOperationException($"{e.Name} found {found} of {count} keys it holds");
        if (missing && found != 0) throw new InvalidOperationException($"{e.Name} found {found} keys it does not hold");
        return new Phase(count, 0, lat, secs, $"{found} of {count} found");
    }

    private Phase Seek(IEngine e, long count)
    {
        var lat = new long[count];
        Span<byte> key = stackalloc byte[KeyValueGenerator.KeySize];
        var rnd = new Random(7);
        var sw = Stopwatch.StartNew();
        for (long i = 0; i < count; i++)
        {
            KeyValueGenerator.Key(rnd.NextInt64(num), key);
            long t0 = Stopwatch.GetTimestamp();
            e.Scan(key, 10);
            lat[i] = Stopwatch.GetTimestamp() - t0;
        }
        return new Phase(count, 0, lat, sw.Elapsed.TotalSeconds, "seek then 10 next");
    }

    /// <summary>
    /// One writer overwrites <paramref name="count"/> random keys as fast as it can while one
    /// reader reads random keys until the writer is done; the reads are measured. The writer's
    /// volume is fixed (not the reader's) so that every engine's write amplification covers the
    /// same writes: when the reader's count ended the window, a faster reader left its writer
    /// fewer writes to spread the one-time compaction of the filled database over.
    /// </summary>
    private Phase ReadWhileWriting(IEngine e, long count)
    {
        long writesDone = 0;
        var writer = new Thread(() =>
        {
            var gen = new KeyValueGenerator(ValueSize, seed: 5);
            Span<byte> key = stackalloc byte[KeyValueGenerator.KeySize];
            var rnd = new Random(11);
            try
            {
                for (long i = 0; i < count; i++)
                {
                    KeyValueGenerator.Key(rnd.NextInt64(num), key);
                    e.Put(key, gen.NextValue(), false);
                }
            }
            finally { Volatile.Write(ref writesDone, 1); }
        });
        var lat = new long[Math.Max(1024, count)];
        var buffer = new byte[1024];
        Span<byte> readKey = stackalloc byte[KeyValueGenerator.KeySize];
        var reader = new Random(99);
        long reads = 0, found = 0;
        using var sampler = PeakSampler.Start($"{e.Name} readwhilewriting N={num:N0}");
        var sw = Stopwatch.StartNew();
        writer.Start();
        while (Volatile.Read(ref writesDone) == 0)
        {
            KeyValueGenerator.Key(reader.NextInt64(num), readKey);
            long t0 = Stopwatch.GetTimestamp();
            if (e.Get(readKey, buffer) >= 0) found++;
            long t = Stopwatch.GetTimestamp() - t0;
            if (reads == lat.Length) Array.Resize(ref lat, lat.Length * 2);
            lat[reads++] = t;
        }
        double secs = sw.Elapsed.TotalSeconds;
        writer.Join();
        if (found != reads) throw new InvalidOperationException($"{e.Name} found {found} of {reads} keys it holds");
        return new Phase(reads, count * (KeyValueGenerator.KeySize + ValueSize), lat[..(int)reads], secs,
            $"{reads} reads while {count} writes");
    }

    /// <summary>
    /// Fills N random keys and reads at random right away, while the fill's flushes and
    /// compactions still run (the settled tree is what readrandom measures). The note says how
    /// long background work went on after the reads ended.
    /// </summary>
    private Phase ReadWhileCompacting(IEngine e)
    {
        Fill(e, sequential: false, num, sync: false);
        var reads = Read(e, Math.Min(num, 1_000_000), missing: false);
        var sw = Stopwatch.StartNew();
        e.WaitForBackgroundWork();
        return reads with { Note = $"{reads.Note}; reads right after a fill of {num:N0}; background work went on {sw.Elapsed.TotalSeconds:F1} s after them", UserBytes = 0 };
    }

    /// <summary>Fills a memtable large enough for everything, then reads it at random (nothing on disk).</summary>
    private Phase ReadMemtable(IEngine e)
    {
        var fill = Fill(e, sequential: false, num, sync: false);
        var reads = Read(e, num, missing: false);
        return reads with { Note = $"fill into the memtable: {num / fill.Seconds:N0} ops/s; reads measured", UserBytes = 0 };
    }

    /// <summary>Compacts the whole key space; the space and write amplification of that pass are reported.</summary>
    private Phase CompactAll(IEngine e)
    {
        long t0 = Stopwatch.GetTimestamp();
        e.CompactAll();
        e.WaitForBackgroundWork();
        long elapsed = Stopwatch.GetTimestamp() - t0;
        return new Phase(1, num * (KeyValueGenerator.KeySize + ValueSize), [elapsed], (double)elapsed / Stopwatch.Frequency,
            "one full CompactRange; write amp = bytes written / logical bytes");
    }

    private Phase Delete(IEngine e, long count)
    {
        var order = Permutation(count, 23);
        var lat = new long[count];
        Span<byte> key = stackalloc byte[KeyValueGenerator.KeySize];
        var sw = Stopwatch.StartNew();
        for (long i = 0; i < count; i++)
        {
            KeyValueGenerator.Key(order[i], key);
            long t0 = Stopwatch.GetTimestamp();
            e.Delete(key, false);
            lat[i] = Stopwatch.GetTimestamp() - t0;
        }
        return new Phase(count, count * KeyValueGenerator.KeySize, lat, sw.Elapsed.TotalSeconds);
    }

    private Phase YcsbA(IEngine e, long count)
    {
        var lat = new long[count];
        var zipf = new Zipfian(num, 0.99, 31);
        var rnd = new Random(37);
        var buffer = new byte[1024];
        Span<byte> key = stackalloc byte[KeyValueGenerator.KeySize];
        long updates = 0;
        var sw = Stopwatch.StartNew();
        for (long i = 0; i < count; i++)
        {
            KeyValueGenerator.Key(zipf.Next(), key);
            long t0 = Stopwatch.GetTimestamp();
            if (rnd.Next(2) == 0) e.Get(key, buffer);
            else
            {
                e.Put(key, _gen.NextValue(), false);
                updates++;
            }
            lat[i] = Stopwatch.GetTimestamp() - t0;
        }
        return new Phase(count, updates * (KeyValueGenerator.KeySize + ValueSize), lat, sw.Elapsed.TotalSeconds, "50% reads, 50% updates, zipfian 0.99");
    }

    internal static long[] Permutation(long count, int seed)
    {
        var p = new long[count];
        for (long i = 0; i < count; i++) p[i] = i;
        var rnd = new Random(seed);
        for (long i = count - 1; i > 0; i--)
        {
            long j = rnd.NextInt64(i + 1);
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }

    private static WorkloadResult Summarize(string engine, string workload, Phase p, Aftermath after, long logical, long? writtenBase = null, long? peak = null)
    {
        var lat = p.Latencies;
        Array.Sort(lat);
        double Us(double q) => lat.Length == 0 ? 0 : lat[Math.Min(lat.Length - 1, (int)(q * lat.Length))] * 1e6 / Stopwatch.Frequency;
        long bytes = p.UserBytes > 0 ? p.UserBytes : p.Operations * (KeyValueGenerator.KeySize + ValueSize);
        double? sustained = Writing.Contains(workload) && after.SettleSeconds is { } settle ? p.Operations / (p.Seconds + settle) : null;
        long amplificationBase = writtenBase ?? p.UserBytes;
        return new WorkloadResult(engine, workload, p.Operations, p.Seconds, p.Operations / p.Seconds, bytes / 1e6 / p.Seconds,
            Us(0.50), Us(0.99), Us(0.999),
            after.Written is { } w && amplificationBase > 0 ? (double)w / amplificationBase : null,
            after.DiskSize is { } d && logical > 0 ? (double)d / logical : null,
            peak ?? ProcessStats.PeakRss(), p.Note,
            SustainedOpsPerSecond: sustained,
            AllocatedBytesOpen: after.AllocatedOpen,
            AllocatedBytesClosed: after.AllocatedClosed,
            LogicalBytes: logical > 0 ? logical : null);
    }
}

/// <summary>YCSB's zipfian generator (Gray et al.), over [0, n).</summary>
public sealed class Zipfian
{
    private readonly long _n;
    private readonly double _theta, _alpha, _zetan, _eta;
    private readonly Random _rnd;

    public Zipfian(long n, double theta, int seed)
    {
        _n = n;
        _theta = theta;
        _rnd = new Random(seed);
        double zeta2 = 1 + Math.Pow(0.5, theta);
        _zetan = 0;
        for (long i = 1; i <= n; i++) _zetan += 1 / Math.Pow(i, theta);
        _alpha = 1 / (1 - theta);
        _eta = (1 - Math.Pow(2.0 / n, 1 - theta)) / (1 - zeta2 / _zetan);
    }

    public long Next()
    {
        double u = _rnd.NextDouble();
        double uz = u * _zetan;
        if (uz < 1) return 0;
        if (uz < 1 + Math.Pow(0.5, _theta)) return 1;
        long v = (long)(_n * Math.Pow(_eta * u - _eta + 1, _alpha));
        // Scatter hot keys over the key space, as YCSB's scrambled zipfian does.
        return (long)(((ulong)v * 0x9E3779B97F4A7C15UL) % (ulong)_n);
    }
}
