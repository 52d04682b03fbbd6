using LatticeKV.Io;
using LatticeKV.Tests.Support;
using Xunit.Abstractions;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Db;

/// <summary>Failures of flush, compaction and fsync, injected through <see cref="FaultInjectionFileSystem"/>.</summary>
public class BackgroundErrorTests
{
    private static (FaultInjectionFileSystem Faults, MemFileSystem Disk, DbOptions Options) Setup(int seed = 1)
    {
        var disk = new MemFileSystem();
        disk.CreateDirectory(DbPath);
        var faults = new FaultInjectionFileSystem(disk, seed);
        var options = new DbOptions { FileSystem = faults, WriteBufferSize = 16 * 1024 };
        return (faults, disk, options);
    }

    /// <summary>Writes until the database refuses one; returns the refusal and how many writes were acknowledged.</summary>
    private static (Exception Error, int Acknowledged) WriteUntilRefused(LatticeDb db, int limit = 20_000)
    {
        for (int i = 0; i < limit; i++)
        {
            try { db.Put(B($"k{i:D6}"), B(new string('v', 100))); }
            catch (LatticeException ex) { return (ex, i); }
        }
        throw new InvalidOperationException($"{limit} writes were all accepted");
    }

    [Fact]
    public void DiskFullDuringFlush_StopsWritesKeepsReadsAndResumesWhenSpaceReturns()
    {
        var (faults, _, options) = Setup();
        using var db = LatticeDb.Open(DbPath, options);
        faults.Add(new FaultRule(FaultKind.DiskFull, DbFileKind.Table));
        var (error, acknowledged) = WriteUntilRefused(db);

        var bg = Assert.IsType<BackgroundErrorException>(error);
        Assert.True(Assert.IsAssignableFrom<LatticeIOException>(bg.InnerException).IsDiskFull);
        Assert.Contains("disk full", db.GetProperty("lattice.background-error"), StringComparison.Ordinal);
        for (int i = 0; i < acknowledged; i += 97) Assert.NotNull(db.Get(B($"k{i:D6}"))); // reads keep working

        faults.Clear(); // space is freed
        bool resumed = SpinWait.SpinUntil(() =>
        {
            try
            {
                db.Put(B("after"), B("1"));
                return true;
            }
            catch (BackgroundErrorException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(30));
        Assert.True(resumed, "writes did not resume after the disk-full condition cleared");
        db.Flush();
        for (int i = 0; i < acknowledged; i += 97) Assert.NotNull(db.Get(B($"k{i:D6}")));
        Assert.Equal("", db.GetProperty("lattice.background-error"));
    }

    [Fact]
    public void FsyncFailureDuringFlush_StopsWritesUntilReopenAndLosesNothing()
    {
        var (faults, disk, options) = Setup();
        var db = LatticeDb.Open(DbPath, options);
        faults.Add(new FaultRule(FaultKind.FailSync, DbFileKind.Table, times: 1));
        var (error, acknowledged) = WriteUntilRefused(db);
        Assert.IsType<BackgroundErrorException>(error);
        faults.Clear();
        Assert.Throws<BackgroundErrorException>(() => db.Put(B("x"), B("y")));   // still stopped: no automatic resume
        Assert.NotNull(db.Get(B("k000000")));
        db.Dispose();

        using var reopened = LatticeDb.Open(DbPath, options);
        for (int i = 0; i < acknowledged; i++) Assert.NotNull(reopened.Get(B($"k{i:D6}")));
        reopened.Put(B("after"), B("1"));
    }

    [Fact]
    public void FsyncFailureOfSyncedWrite_FailsThatWriteAndStopsLaterOnes()
    {
        var (faults, _, options) = Setup();
        using var db = LatticeDb.Open(DbPath, options);
        db.Put(B("before"), B("1"), new WriteOptions { Sync = true });
        faults.Add(new FaultRule(FaultKind.FailSync, DbFileKind.Log, times: 1));
        var ex = Assert.Throws<LatticeIOException>(() => db.Put(B("during"), B("2"), new WriteOptions { Sync = true }));
        Assert.False(ex.IsDiskFull);
        Assert.Throws<BackgroundErrorException>(() => db.Put(B("after"), B("3")));
        Assert.Equal("1", S(db.Get(B("before"))));
    }

    [Fact]
    public void BitFlipInTableRead_GetThrowsCorruptionNamingTheTable()
    {
        var (faults, _, options) = Setup();
        options.BlockCacheCapacity = 0;
        using var db = LatticeDb.Open(DbPath, options);
        for (int i = 0; i < 500; i++) db.Put(B($"k{i:D4}"), B(new string('v', 60)));
        db.Flush();
        db.WaitForCompactions(); // the one injected flip must land in our read, not a compaction's
        faults.Add(new FaultRule(FaultKind.FlipBitOnRead, DbFileKind.Table, times: 1));
        var ex = Assert.Throws<CorruptionException>(() => db.Get(B("k0100")));
        Assert.EndsWith(".sst", ex.FilePath);
        Assert.Equal(new string('v', 60), S(db.Get(B("k0100")))); // the disk itself is intact
    }

    [Fact]
    public void VerifyChecksums_DamagedTable_ThrowsNamingIt()
    {
        var disk = new MemFileSystem();
        var options = MemOptions(disk, o => o.BlockCacheCapacity = 0);
        using var db = LatticeDb.Open(DbPath, options);
        for (int i = 0; i < 2000; i++) db.Put(B($"k{i:D4}"), B(new string('v', 60)));
        db.Flush();
        db.VerifyChecksums();
        string table = disk.ListFiles(DbPath).First(n => n.EndsWith(".sst", StringComparison.Ordinal));
        var bytes = disk.GetContents(System.IO.Path.Combine(DbPath, table));
        bytes[100] ^= 0x01;
        disk.SetContents(System.IO.Path.Combine(DbPath, table), bytes);
        var ex = Assert.Throws<CorruptionException>(db.VerifyChecksums);
        Assert.EndsWith(table, ex.FilePath);
    }
}

/// <summary>
/// Torn writes at random moments (a prefix reaches the disk, then the process dies) during
/// writes, flushes and compactions: every acknowledged write survives, the write the process
/// died in is whole or absent, nothing else appears, and the database opens.
/// </summary>
public class TornWriteTests(ITestOutputHelper output)
{
    // Enough writes for a torn write to fire in any file kind at the lowest probability.
    private const int MaxWrites = 100_000;

    [Fact]
    public void TornWritesAtRandomMoments_EveryAcknowledgedWriteSurvives()
    {
        int seed = TestSeed.Get(901);
        var rnd = new Random(seed);
        var kinds = new DbFileKind?[] { DbFileKind.Log, DbFileKind.Table, DbFileKind.Manifest, null };
        var tornIn = new Dictionary<string, int>();
        int diedOpening = 0;
        for (int round = 0; round < 40 * TestSeed.Scale; round++)
        {
            string context = $"seed={seed} round={round}";
            var disk = new MemFileSystem();
            disk.CreateDirectory(DbPath);
            var faults = new FaultInjectionFileSystem(disk, seed + round);
            var target = kinds[rnd.Next(kinds.Length)];
            var torn = new FaultRule(FaultKind.TornWrite, target, probability: 0.002 + rnd.NextDouble() * 0.01, times: 1);
            faults.Add(torn);
            var options = new DbOptions
            {
                FileSystem = faults,
                WriteBufferSize = 8 * 1024,
                MaxBytesForLevelBase = 32 * 1024,
                TargetFileSizeBase = 8 * 1024,
                Level0FileNumCompactionTrigger = 2,
            };
            var acknowledged = new Dictionary<string, string>(); // "" = deleted
            (string Key, string? Before, string After)? inFlight = null;
            LatticeDb? db = null;
            try
            {
                db = LatticeDb.Open(DbPath, options);
                for (int i = 0; i < MaxWrites && !faults.IsDead; i++)
                {
                    string k = $"k{rnd.Next(500):D3}";
                    bool delete = rnd.Next(8) == 0;
                    string v = delete ? "" : $"{i}:" + new string('z', rnd.Next(120));
                    inFlight = (k, acknowledged.GetValueOrDefault(k), v);
                    try
                    {
                        if (delete) db.Delete(B(k));
                        else db.Put(B(k), B(v), new WriteOptions { Sync = rnd.Next(20) == 0 });
                    }
                    catch (LatticeException) when (faults.IsDead)
                    {
                        break; // the process died in this write: its outcome is unknown
                    }
                    acknowledged[k] = v;
                    inFlight = null;
                }
            }
            catch (LatticeException) when (faults.IsDead && db is null)
            {
                diedOpening++;
            }
            finally
            {
                try { db?.Dispose(); }
                catch (LatticeException) when (faults.IsDead) { } // a dead process closes nothing
            }
            Assert.True(faults.IsDead && torn.Fired == 1, $"{context}: the torn write in {target?.ToString() ?? "any file"} never happened in {MaxWrites} writes");
            string where = target?.ToString() ?? "any file";
            tornIn[where] = tornIn.GetValueOrDefault(where) + 1;

            // A killed process: everything it handed to the OS survives.
            using var reopened = LatticeDb.Open(DbPath, new DbOptions { FileSystem = disk.CrashClone(powerLoss: false) });
            var present = new Dictionary<string, string>();
            using (var it = reopened.NewIterator())
                for (it.SeekToFirst(); it.Valid; it.Next()) present[S(it.Key.ToArray())!] = S(it.Value.ToArray())!;
            foreach (var (k, v) in acknowledged)
            {
                if (inFlight is { } f && f.Key == k) continue;
                Assert.True((v.Length == 0 ? null : v) == present.GetValueOrDefault(k), $"{context}: key {k} lost its acknowledged value");
            }
            if (inFlight is { } w)
            {
                string? now = present.GetValueOrDefault(w.Key);
                string? before = string.IsNullOrEmpty(w.Before) ? null : w.Before;
                string? after = w.After.Length == 0 ? null : w.After;
                Assert.True(now == before || now == after, $"{context}: key {w.Key}, written when the process died, holds neither its old nor its new value");
            }
            foreach (var k in present.Keys)
                Assert.True(acknowledged.ContainsKey(k) || inFlight?.Key == k, $"{context}: key {k} was never written");
            reopened.VerifyChecksums();
        }
        output.WriteLine($"seed={seed}: torn writes in {string.Join(", ", tornIn.OrderBy(x => x.Key).Select(x => $"{x.Key} {x.Value}"))}; {diedOpening} while opening");
    }
}
