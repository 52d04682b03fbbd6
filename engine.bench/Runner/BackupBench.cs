using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace LatticeKV.Bench.Runner;

/// <summary>
/// <c>backup</c>: issue 18's backup workloads on one disk, in one run. A database of about a
/// gigabyte (built once and kept in <c>--dir</c>, reused while its parameters match) is closed,
/// reopened and then, in alternating rounds, backed up in full by <see cref="BackupEngine"/>
/// against <c>cp -r</c> of its directory, and restored by <see cref="BackupEngine.RestoreBackup"/>
/// against <c>cp -r</c> of the backup, every copy fsynced (<see cref="ShellCopy"/>). Then the
/// incremental case: 1% of the keys overwritten at random, backed up into the directory that
/// holds the full backup, the bytes it added split into tables, logs and the small files.
/// </summary>
public static class BackupBench
{
    private static readonly JsonSerializerOptions s_indented = new() { WriteIndented = true };

    public static int Run(string[] args)
    {
        long keys = CompareCommand.LongArg(args, "--keys", 10_000_000);
        int valueSize = (int)CompareCommand.LongArg(args, "--value-size", 180);
        int runs = (int)Math.Max(1, CompareCommand.LongArg(args, "--runs", 8));
        var pause = TimeSpan.FromSeconds(CompareCommand.LongArg(args, "--pause", 10));
        string root = Path.GetFullPath(CompareCommand.StringArg(args, "--dir", Path.Combine(Path.GetTempPath(), "lkv-backup-bench")));
        string outDir = CompareCommand.StringArg(args, "--out", "bench-backup");
        string dbPath = Path.Combine(root, "db");
        string work = Path.Combine(root, "work");
        Directory.CreateDirectory(outDir);

        double? build = EnsureDatabase(root, dbPath, keys, valueSize);
        ResetDirectory(work);
        BackupResult result;
        try
        {
            WarmUp(Path.Combine(work, "warmup"), valueSize);
            using var db = LatticeDb.Open(dbPath, Options());
            db.WaitForCompactions();
            Workloads.Settle();
            var (backups, copies, restores, copiedBackups, live) = FullRounds(db, dbPath, work, runs, pause);
            var incremental = Incremental(db, work, keys, valueSize);
            result = new BackupResult(keys, valueSize, live.Size, ProcessStats.DirectorySize(dbPath), live.FileCount, build,
                [.. backups], [.. copies], [.. restores], [.. copiedBackups], incremental, Machine());
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
        string markdown = result.Markdown();
        Console.WriteLine(markdown);
        File.WriteAllText(Path.Combine(outDir, "results.md"), markdown);
        File.WriteAllText(Path.Combine(outDir, "results.json"), JsonSerializer.Serialize(result, s_indented));
        Console.WriteLine($"Wrote {outDir}/results.md and results.json; the database stays in {dbPath}");
        return 0;
    }

    // The runner's LatticeKV settings (BENCHMARKS.md), with compaction at the process's priority so the build finishes sooner.
    private static DbOptions Options() => new() { CompactionThreadNice = 0 };

    /// <summary>
    /// Builds the database unless one with the same parameters is already there (a marker file
    /// written after a complete build says so); returns the build's seconds, or null when reused.
    /// </summary>
    private static double? EnsureDatabase(string root, string dbPath, long keys, int valueSize)
    {
        string marker = Path.Combine(root, "db.complete");
        string expected = string.Create(CultureInfo.InvariantCulture, $"keys {keys} value-size {valueSize}");
        if (Directory.Exists(dbPath) && File.Exists(marker) && File.ReadAllText(marker) == expected)
        {
            Console.WriteLine($"reusing the database in {dbPath} ({expected})");
            return null;
        }
        ResetDirectory(dbPath);
        File.Delete(marker);
        Console.WriteLine($"building the database in {dbPath}: {keys:N0} keys in random order, {valueSize}-byte values");
        var sw = Stopwatch.StartNew();
        using (var db = LatticeDb.Open(dbPath, Options()))
        {
            var gen = new KeyValueGenerator(valueSize);
            Span<byte> key = stackalloc byte[KeyValueGenerator.KeySize];
            // A multiplicative permutation of 0..keys-1: random order without a table of every key.
            long step = PermutationStep(keys);
            for (long i = 0; i < keys; i++)
            {
                KeyValueGenerator.Key(i * step % keys, key);
                db.Put(key, gen.NextValue());
                if ((i + 1) % 1_000_000 == 0) Console.WriteLine($"  {i + 1:N0} keys, {sw.Elapsed.TotalSeconds:F0} s");
            }
            db.Flush();
            db.WaitForCompactions();
        }
        Workloads.Settle();
        File.WriteAllText(marker, expected);
        Console.WriteLine($"  built in {sw.Elapsed.TotalSeconds:F0} s");
        return sw.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// Backs up and restores a small scratch database once, untimed, so the measured rounds run
    /// optimized code (the first backup of a process otherwise pays the JIT in its first round only).
    /// </summary>
    private static void WarmUp(string dir, int valueSize)
    {
        string dbPath = Path.Combine(dir, "db"), backupDir = Path.Combine(dir, "backups");
        using (var db = LatticeDb.Open(dbPath, Options()))
        {
            Overwrite(db, 100_000, 100_000, valueSize);
            db.Flush();
            using var engine = BackupEngine.Open(backupDir);
            var info = engine.CreateBackup(db);
            engine.RestoreBackup(info.Id, Path.Combine(dir, "restore"));
        }
        Directory.Delete(dir, recursive: true);
    }

    /// <summary>A step coprime with <paramref name="n"/>, near n times the golden ratio's fraction, so i × step mod n visits every key once in a scattered order.</summary>
    private static long PermutationStep(long n)
    {
        long step = (long)(n * 0.6180339887) | 1;
        while (GreatestCommonDivisor(step, n) != 1) step += 2;
        return step;
    }

    private static long GreatestCommonDivisor(long a, long b) => b == 0 ? a : GreatestCommonDivisor(b, a % b);

    private static (List<double> Backups, List<double> Copies, List<double> Restores, List<double> CopiedBackups, BackupInfo Live) FullRounds(
        LatticeDb db, string dbPath, string work, int runs, TimeSpan pause)
    {
        List<double> backups = [], copies = [], restores = [], copiedBackups = [];
        BackupInfo? last = null;
        for (int r = 1; r <= runs; r++)
        {
            string backupDir = Path.Combine(work, $"backup-{r}"), copyDir = Path.Combine(work, $"copy-{r}");
            string restoreDir = Path.Combine(work, $"restore-{r}"), copiedBackupDir = Path.Combine(work, $"copy-of-backup-{r}");
            BackupInfo? info = null;
            Alternate(r, pause,
                () => backups.Add(Time(() =>
                {
                    using var engine = BackupEngine.Open(backupDir);
                    info = engine.CreateBackup(db);
                })),
                () => copies.Add(ShellCopy.CopyAndSync(dbPath, copyDir)));
            Alternate(r, pause,
                () => restores.Add(Time(() =>
                {
                    using var engine = BackupEngine.Open(backupDir);
                    engine.RestoreBackup(info!.Id, restoreDir);
                })),
                () => copiedBackups.Add(ShellCopy.CopyAndSync(backupDir, copiedBackupDir)));
            CheckRestored(restoreDir, info!);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"round {r} of {runs}: backup {backups[^1]:F2} s, cp -r {copies[^1]:F2} s; restore {restores[^1]:F2} s, cp -r of the backup {copiedBackups[^1]:F2} s"));
            foreach (var dir in new[] { backupDir, copyDir, restoreDir, copiedBackupDir }) Directory.Delete(dir, recursive: true);
            Workloads.Settle();
            last = info;
        }
        return (backups, copies, restores, copiedBackups, last!);
    }

    /// <summary>
    /// Runs both sides, <paramref name="first"/> first in odd rounds and second in even ones, each
    /// after <c>sync</c> and <paramref name="pause"/> of idleness: without the pause this VM wrote a
    /// gigabyte right after another one markedly slower, whoever wrote it, and sync did not prevent it.
    /// </summary>
    private static void Alternate(int round, TimeSpan pause, Action first, Action second)
    {
        foreach (var side in round % 2 == 1 ? new[] { first, second } : new[] { second, first })
        {
            Workloads.Settle();
            Thread.Sleep(pause);
            side();
        }
    }

    private static double Time(Action action)
    {
        var sw = Stopwatch.StartNew();
        action();
        return sw.Elapsed.TotalSeconds;
    }

    /// <summary>The restore holds what the backup lists, byte for byte in size (the restore itself checked every checksum).</summary>
    private static void CheckRestored(string dir, BackupInfo info)
    {
        var files = Directory.GetFiles(dir);
        long size = files.Sum(f => new FileInfo(f).Length);
        if (files.Length != info.FileCount || size != info.Size)
            throw new InvalidOperationException($"restore holds {files.Length} files, {size} bytes; the backup lists {info.FileCount}, {info.Size}");
    }

    /// <summary>
    /// A checkpoint of the database (tables hard-linked), backed up in full; 1% of its keys
    /// overwritten at random (they stay in the memtable and the log: 1% is well under the write
    /// buffer) and backed up again into the same directory; then flushed to a table and backed up again.
    /// </summary>
    private static List<IncrementalStep> Incremental(LatticeDb source, string work, long keys, int valueSize)
    {
        string dbPath = Path.Combine(work, "incremental-db"), backupDir = Path.Combine(work, "incremental-backups");
        source.CreateCheckpoint(dbPath);
        var steps = new List<IncrementalStep>();
        using var db = LatticeDb.Open(dbPath, Options());
        using var engine = BackupEngine.Open(backupDir);
        steps.Add(Step(engine, db, backupDir, "nothing (the full backup this directory starts from)"));
        long changed = Overwrite(db, keys, keys / 100, valueSize);
        db.WaitForCompactions();
        steps.Add(Step(engine, db, backupDir, $"{changed:N0} keys (1%) overwritten at random, in the memtable and log"));
        db.Flush();
        db.WaitForCompactions();
        steps.Add(Step(engine, db, backupDir, "the same, flushed to a table (a new level-0 table; the log after it is empty)"));
        return steps;
    }

    private static IncrementalStep Step(BackupEngine engine, LatticeDb db, string backupDir, string name)
    {
        Workloads.Settle();
        var sharedBefore = SharedTables(backupDir);
        var sw = Stopwatch.StartNew();
        var info = engine.CreateBackup(db);
        double seconds = sw.Elapsed.TotalSeconds;
        long tables = SharedTables(backupDir).Where(t => !sharedBefore.ContainsKey(t.Key)).Sum(t => t.Value);
        long logs = 0, other = 0;
        foreach (var file in Directory.GetFiles(Path.Combine(backupDir, "private", info.Id.ToString(CultureInfo.InvariantCulture))))
        {
            long length = new FileInfo(file).Length;
            if (file.EndsWith(".log", StringComparison.Ordinal)) logs += length;
            else other += length;
        }
        if (tables + logs + other != info.NewBytes)
            throw new InvalidOperationException($"backup {info.Id} reports {info.NewBytes} new bytes; its new files hold {tables + logs + other}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"incremental: after {name}: {seconds:F2} s, {info.NewBytes:N0} new bytes (tables {tables:N0}, logs {logs:N0}, other {other:N0})"));
        return new IncrementalStep(name, seconds, info.NewBytes, tables, logs, other);
    }

    private static Dictionary<string, long> SharedTables(string backupDir)
    {
        string shared = Path.Combine(backupDir, "shared");
        return Directory.Exists(shared) ? Directory.GetFiles(shared).ToDictionary(f => f, f => new FileInfo(f).Length) : [];
    }

    /// <summary>Overwrites <paramref name="count"/> distinct keys of 0..<paramref name="keys"/>-1, chosen at random, with new values; returns how many.</summary>
    private static long Overwrite(LatticeDb db, long keys, long count, int valueSize)
    {
        var gen = new KeyValueGenerator(valueSize, seed: 1818);
        var rnd = new Random(18);
        var chosen = new HashSet<long>();
        Span<byte> key = stackalloc byte[KeyValueGenerator.KeySize];
        while (chosen.Count < count)
        {
            long k = rnd.NextInt64(keys);
            if (!chosen.Add(k)) continue;
            KeyValueGenerator.Key(k, key);
            db.Put(key, gen.NextValue());
        }
        return chosen.Count;
    }

    private static void ResetDirectory(string path)
    {
        if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        Directory.CreateDirectory(path);
    }

    private static string Machine()
    {
        string cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?"
            : "?";
        long memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        return string.Create(CultureInfo.InvariantCulture,
            $"{Environment.ProcessorCount} vCPU {cpu}, {memory / (1L << 30)} GiB, {RuntimeInformation.OSDescription}, .NET {Environment.Version}");
    }
}
