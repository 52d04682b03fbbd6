using System.Diagnostics;
using LatticeKV.Crypto;
using LatticeKV.Db;
using LatticeKV.Io;
using LatticeKV.Keys;
using LatticeKV.Manifest;
using LatticeKV.Sst;
using LatticeKV.Tests.Support;
using LatticeKV.Tool.Crash;
using Xunit.Abstractions;

namespace LatticeKV.Tests.Crypto;

/// <summary>
/// Kill -9 on an encrypted database: the crash child opens it with a master key from a file
/// outside the database directory, every family sealed, and is killed while it writes, flushes
/// and compacts (and sometimes while it opens). After each kill the oracle checks that every
/// acknowledged synced write is there, and every file under the database directory, partly
/// written tables and registry temporaries included, is searched for the workload's plaintext:
/// never found. A plaintext run of the same workload shows that the search finds it.
/// </summary>
public sealed class EncryptedCrashTests(ITestOutputHelper output)
{
    private const int MinCycles = 6;
    private const int MaxCycles = 25;

    [Fact]
    public void ChildKilledDuringFlushesAndCompactions_EncryptedDatabase_SyncedWritesSurviveAndNoPlaintextOnDisk()
    {
        using var dir = new TempDir("crash-enc");
        string db = dir.Sub("db");
        Directory.CreateDirectory(db);
        string keyFile = dir.Sub("master.key");
        var key = EncryptionSupport.NewKey();
        File.WriteAllBytes(keyFile, key);
        int seed = TestSeed.Get(4747);
        var harness = new CrashHarness(db, seed, Lkv.Assembly) { KeyFile = keyFile, ColumnFamilies = 2, Sync = true, Threads = 8, KillInTableWrites = true, OpenKillShare = 0.2, Log = output.WriteLine };

        CrashReport? total = null;
        int inTableWrites = 0;
        var clock = Stopwatch.StartNew();
        while (total is null || (total.Cycles < MaxCycles && clock.Elapsed < TimeSpan.FromSeconds(60) * TestSeed.Scale
            && (total.Cycles < MinCycles * TestSeed.Scale || inTableWrites == 0)))
        {
            var report = harness.Run(1);
            total = total is null ? report : total.Then(report);
            Assert.True(report.Ok, $"seed={seed}: " + string.Join("\n", report.Violations));
            int partial = PartialTables(db);
            int outside = TablesOutsideTheLiveVersion(db, key);
            if (outside > 0) inTableWrites++;
            long lastId = total.OperationsAcked + total.OperationsInFlightAtKill;
            var recent = RecentValues(lastId);
            int found = EncryptionSupport.CountFound(db, recent);
            long patterns = PlaintextPatterns(db);
            output.WriteLine($"  after kill {total.Cycles}: {outside} tables outside the live version ({partial} partly written), {found} of {recent.Count} recent values found, {patterns} plaintext patterns");
            Assert.True(found == 0, $"seed={seed}: plaintext values found in " + EncryptionSupport.WhereFound(db, recent));
            Assert.True(patterns == 0, $"seed={seed}: {patterns} workload keys or values in plaintext under {db}");
        }
        output.WriteLine($"seed={seed}: {total.Cycles} kills ({inTableWrites} inside a flush or compaction, {total.KillsDuringOpen} during open), " +
            $"{total.OperationsAcked} synced batches acknowledged, {total.ConfirmedPuts} acknowledged puts confirmed");
        Assert.True(inTableWrites > 0, $"seed={seed}: none of {total.Cycles} kills landed inside a flush or compaction");
        Assert.True(total.ConfirmedPuts >= total.Cycles, $"seed={seed}: the verification confirmed only {total.ConfirmedPuts} acknowledged puts");
        Assert.True(File.Exists(keyFile) && !Directory.EnumerateFiles(db).Any(f => File.ReadAllBytes(f).AsSpan().IndexOf(File.ReadAllBytes(keyFile)) >= 0),
            "the master key is in the database directory");
    }

    [Fact]
    public void PlaintextControl_SameWorkload_TheSearchFindsItsKeysAndValues()
    {
        using var dir = new TempDir("crash-plain");
        var harness = new CrashHarness(dir.Path, TestSeed.Get(4748), Lkv.Assembly) { Sync = true, Threads = 8, OpenKillShare = 0, Log = output.WriteLine };
        var report = harness.Run(2);
        Assert.True(report.Ok, string.Join("\n", report.Violations));
        var recent = RecentValues(report.OperationsAcked + report.OperationsInFlightAtKill);
        int found = EncryptionSupport.CountFound(dir.Path, recent);
        long patterns = PlaintextPatterns(dir.Path);
        output.WriteLine($"{found} of {recent.Count} recent values found, {patterns} plaintext patterns");
        Assert.True(found > 0, "the search found none of the values just written to a plaintext database");
        Assert.True(patterns > 0, "the pattern search found no plaintext key or value in a plaintext database");
    }

    /// <summary>The values of the operations with the highest ids (the newest, most likely still in logs and level 0), trimmed to 16 bytes.</summary>
    private static List<byte[]> RecentValues(long lastId)
    {
        var values = new List<byte[]>();
        for (long id = Math.Max(1, lastId - 100); id <= lastId; id++)
            for (int m = 0; m < CrashProtocol.KeysPerGroup; m++)
            {
                var v = CrashProtocol.Value(id, m);
                values.Add(v.AsSpan(0, Math.Min(16, v.Length)).ToArray());
            }
        return values;
    }

    /// <summary>
    /// Tables in the directory that the live version does not list: a flush or compaction was
    /// writing them, or had not yet deleted its inputs, when the kill came. Reads the sealed MANIFEST with the key.
    /// </summary>
    private static int TablesOutsideTheLiveVersion(string db, byte[] key)
    {
        var fs = RealFileSystem.Instance;
        using var keys = KeyRegistry.Open(new LogFramedRecords(fs), db, EncryptionOptions.FromKey(key).Source)
            ?? throw new InvalidOperationException("no key registry");
        var versions = new VersionSet(fs, db, new InternalKeyComparator(KeyComparator.Bytewise), new DbOptions().NumLevels, new object(), long.MaxValue) { Keys = keys };
        versions.Recover();
        var live = versions.ColumnFamilies.SelectMany(c => c.Current.AllFiles).Select(f => f.Number).ToHashSet();
        return fs.ListFiles(db).Count(n => FileNames.Parse(n, out long number) == DbFileKind.Table && !live.Contains(number));
    }

    /// <summary>Tables a kill left unfinished: their footer, written last, is missing.</summary>
    private static int PartialTables(string db)
    {
        var magic = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(magic, Footer.Magic);
        return Directory.EnumerateFiles(db, "*.sst").Count(f =>
        {
            var bytes = File.ReadAllBytes(f);
            return bytes.Length < Footer.Size || !bytes.AsSpan(bytes.Length - 8).SequenceEqual(magic);
        });
    }

    /// <summary>
    /// Occurrences, in any file under <paramref name="dir"/>, of what every workload value starts
    /// with (12 digits and a colon) or every key (g, 5 digits, "/m"): chance in ciphertext is
    /// negligible, so any hit is plaintext.
    /// </summary>
    private static long PlaintextPatterns(string dir)
    {
        long hits = 0;
        foreach (var f in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
        {
            if (Path.GetFileName(f) == "LOCK") continue;
            byte[] bytes;
            try { bytes = File.ReadAllBytes(f); }
            catch (FileNotFoundException) { continue; }
            int digits = 0;
            for (int i = 0; i < bytes.Length; i++)
            {
                byte b = bytes[i];
                if (b == (byte)':' && digits >= 12) hits++;
                if (b == (byte)'/' && digits == 5 && i >= 6 && bytes[i - 6] == (byte)'g' && i + 1 < bytes.Length && bytes[i + 1] == (byte)'m') hits++;
                digits = b is >= (byte)'0' and <= (byte)'9' ? digits + 1 : 0;
            }
        }
        return hits;
    }
}
