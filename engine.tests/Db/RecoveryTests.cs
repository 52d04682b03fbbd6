using LatticeKV.Io;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Db;

/// <summary>WAL replay under each recovery mode, on damaged and truncated logs.</summary>
public class RecoveryTests
{
    /// <summary>Writes 200 single-key batches and leaves them only in the WAL (a killed process).</summary>
    private static (MemFileSystem Fs, string Log) WriteThenKill(int count = 200, int lastValueSize = 0)
    {
        var fs = new MemFileSystem();
        var db = LatticeDb.Open(DbPath, MemOptions(fs));
        // About 200 KB of log, so damage at offset 3000 has intact blocks after it.
        for (int i = 0; i < count; i++) db.Put(B($"key{i:D4}"), B(new string('v', 1000) + i));
        if (lastValueSize > 0) db.Put(B("big"), new byte[lastValueSize].Select((_, i) => (byte)(i | 1)).ToArray());
        var crashed = fs.CrashClone(powerLoss: false);
        db.Dispose();
        string log = crashed.ListFiles(DbPath).Single(n => n.EndsWith(".log", StringComparison.Ordinal));
        return (crashed, System.IO.Path.Combine(DbPath, log));
    }

    private static LatticeDb Reopen(MemFileSystem fs, WalRecoveryMode mode) => LatticeDb.Open(DbPath, MemOptions(fs, o => o.WalRecoveryMode = mode));

    private static int CountPresent(LatticeDb db, int count = 200) => Enumerable.Range(0, count).Count(i => db.Get(B($"key{i:D4}")) is not null);

    [Fact]
    public void Open_AfterProcessKill_ReplaysEveryAcknowledgedWrite()
    {
        var (fs, _) = WriteThenKill();
        using var db = Reopen(fs, WalRecoveryMode.AbsoluteConsistency);
        Assert.Equal(200, CountPresent(db));
        Assert.Equal(new string('v', 1000) + 7, S(db.Get(B("key0007"))));
    }

    [Theory]
    [InlineData(WalRecoveryMode.TolerateCorruptedTailRecords)]
    [InlineData(WalRecoveryMode.PointInTimeRecovery)]
    [InlineData(WalRecoveryMode.SkipAnyCorruptedRecords)]
    public void Open_TornLastRecord_DropsOnlyTheTail(WalRecoveryMode mode)
    {
        var (fs, log) = WriteThenKill();
        var bytes = fs.GetContents(log);
        fs.SetContents(log, bytes.AsSpan(0, bytes.Length - 20));
        using var db = Reopen(fs, mode);
        Assert.Equal(199, CountPresent(db));
        Assert.Null(db.Get(B("key0199")));
    }

    [Fact]
    public void Open_TornLastRecordWithAbsoluteConsistency_ThrowsCorruption()
    {
        var (fs, log) = WriteThenKill();
        var bytes = fs.GetContents(log);
        fs.SetContents(log, bytes.AsSpan(0, bytes.Length - 20));
        var ex = Assert.Throws<CorruptionException>(() => Reopen(fs, WalRecoveryMode.AbsoluteConsistency));
        Assert.Equal(log, ex.FilePath);
        Assert.True(ex.Offset > 0);
    }

    [Fact]
    public void Open_CorruptionInMiddle_ToleratingTailThrowsNamingFileAndOffset()
    {
        var (fs, log) = WriteThenKill();
        var bytes = fs.GetContents(log);
        bytes[3000] ^= 0xFF;
        fs.SetContents(log, bytes);
        var ex = Assert.Throws<CorruptionException>(() => Reopen(fs, WalRecoveryMode.TolerateCorruptedTailRecords));
        Assert.Equal(log, ex.FilePath);
        Assert.InRange(ex.Offset, 0, 3000);
    }

    [Fact]
    public void Open_BitFlipInsideLastBlock_IsNotMistakenForATornTail()
    {
        var (fs, log) = WriteThenKill();
        var bytes = fs.GetContents(log);
        bytes[bytes.Length - 3000] ^= 0x01; // a few records before the end, same block
        fs.SetContents(log, bytes);
        var ex = Assert.Throws<CorruptionException>(() => Reopen(fs, WalRecoveryMode.TolerateCorruptedTailRecords));
        Assert.Equal(log, ex.FilePath);
    }

    [Fact]
    public void Open_BitFlipInLastRecord_IsCorruptionNotATornTail()
    {
        var (fs, log) = WriteThenKill();
        var bytes = fs.GetContents(log);
        bytes[^30] ^= 0x10; // inside the last record's payload; the record is complete
        fs.SetContents(log, bytes);
        var ex = Assert.Throws<CorruptionException>(() => Reopen(fs, WalRecoveryMode.TolerateCorruptedTailRecords));
        Assert.Equal(log, ex.FilePath);
        using var pit = Reopen(fs, WalRecoveryMode.PointInTimeRecovery);
        Assert.Equal(199, CountPresent(pit));
    }

    [Fact]
    public void Open_LastRecordWithUnwrittenChecksum_IsATornTail()
    {
        var (fs, log) = WriteThenKill();
        var bytes = fs.GetContents(log);
        int last = LastRecordOffset(bytes);
        bytes.AsSpan(last, 4).Clear(); // killed after the payload, before the checksum
        fs.SetContents(log, bytes);
        using var db = Reopen(fs, WalRecoveryMode.TolerateCorruptedTailRecords);
        Assert.Equal(199, CountPresent(db));
    }

    [Fact]
    public void Open_LastRecordWithPayloadButNoHeader_IsATornTail()
    {
        // A kill while a mapped log's writer had copied the payload but not yet the header.
        var (fs, log) = WriteThenKill();
        var bytes = fs.GetContents(log);
        bytes.AsSpan(LastRecordOffset(bytes), 7).Clear();
        fs.SetContents(log, bytes);
        using var db = Reopen(fs, WalRecoveryMode.TolerateCorruptedTailRecords);
        Assert.Equal(199, CountPresent(db));
    }

    [Fact]
    public void Open_LastRecordWithLostPages_IsATornTail()
    {
        var (fs, log) = WriteThenKill(lastValueSize: 9000);
        var bytes = fs.GetContents(log);
        int last = LastRecordOffset(bytes);
        int page = (last / 4096 + 1) * 4096;
        Assert.True(page < bytes.Length, "the last record must cross a page boundary for this test");
        Array.Clear(bytes, page, bytes.Length - page); // power loss: the last page never reached the disk
        fs.SetContents(log, bytes);
        using var db = Reopen(fs, WalRecoveryMode.TolerateCorruptedTailRecords);
        Assert.Equal(200, CountPresent(db));
        Assert.Null(db.Get(B("big")));
    }

    /// <summary>Offset of the last physical record in a log (records here are whole, one per batch).</summary>
    private static int LastRecordOffset(byte[] log)
    {
        int pos = 0, last = 0;
        while (pos + 7 <= log.Length)
        {
            int block = 32 * 1024 - pos % (32 * 1024);
            if (block < 7) { pos += block; continue; }
            int length = log[pos + 4] | (log[pos + 5] << 8);
            if (log[pos + 6] == 0) break;
            last = pos;
            pos += 7 + length;
        }
        return last;
    }

    [Fact]
    public void Open_CorruptionInMiddle_PointInTimeKeepsOnlyThePrefix()
    {
        var (fs, log) = WriteThenKill();
        var bytes = fs.GetContents(log);
        bytes[3000] ^= 0xFF;
        fs.SetContents(log, bytes);
        using var db = Reopen(fs, WalRecoveryMode.PointInTimeRecovery);
        int present = CountPresent(db);
        Assert.InRange(present, 1, 199);
        // A prefix: every key before the first missing one is present, none after it.
        Assert.Equal(Enumerable.Range(0, present), Enumerable.Range(0, 200).Where(i => db.Get(B($"key{i:D4}")) is not null));
    }

    [Fact]
    public void Open_CorruptionInMiddle_SkipAnyKeepsRecordsAfterTheDamage()
    {
        var (fs, log) = WriteThenKill();
        var bytes = fs.GetContents(log);
        bytes[3000] ^= 0xFF;
        fs.SetContents(log, bytes);
        using var db = Reopen(fs, WalRecoveryMode.SkipAnyCorruptedRecords);
        Assert.NotNull(db.Get(B("key0199")));
        Assert.InRange(CountPresent(db), 150, 199);
    }

    [Fact]
    public void Open_AfterRecovery_NewWritesSurviveAnotherCrash()
    {
        var (fs, log) = WriteThenKill();
        var bytes = fs.GetContents(log);
        fs.SetContents(log, bytes.AsSpan(0, bytes.Length - 20));
        var db = Reopen(fs, WalRecoveryMode.TolerateCorruptedTailRecords);
        db.Put(B("after"), B("1"), new WriteOptions { Sync = true });
        var crashed = fs.CrashClone(powerLoss: true);
        db.Dispose();
        using var again = Reopen(crashed, WalRecoveryMode.AbsoluteConsistency);
        Assert.Equal("1", S(again.Get(B("after"))));
        Assert.Equal(199, CountPresent(again));
    }
}

/// <summary>The durability promise: synced writes survive power loss; every write survives a process kill.</summary>
public class PowerLossTests
{
    [Fact]
    public void SyncedWrites_PowerLossDuringFlushesAndCompactions_AllSurviveAndNoBatchIsHalfApplied()
    {
        var rnd = new Random(TestSeed.Get(77));
        for (int round = 0; round < 25; round++)
        {
            var fs = new MemFileSystem();
            var options = MemOptions(fs, o =>
            {
                o.WriteBufferSize = 8 * 1024;
                o.MaxBytesForLevelBase = 32 * 1024;
                o.TargetFileSizeBase = 8 * 1024;
                o.Level0FileNumCompactionTrigger = 2;
            });
            var db = LatticeDb.Open(DbPath, options);
            // A synced write makes every earlier write durable too: it follows them in the log.
            var lastWrite = new Dictionary<int, int>();
            var durable = new Dictionary<int, int>();
            int batches = rnd.Next(50, 400);
            for (int b = 0; b < batches; b++)
            {
                int group = rnd.Next(40);
                bool sync = rnd.Next(3) == 0;
                var batch = new WriteBatch();
                for (int m = 0; m < 4; m++) batch.Put(B($"g{group:D2}/{m}"), B($"{b}:" + new string('x', rnd.Next(200))));
                db.Write(batch, new WriteOptions { Sync = sync });
                lastWrite[group] = b;
                if (sync)
                    foreach (var (g, id) in lastWrite) durable[g] = id;
            }
            var crashed = fs.CrashClone(powerLoss: true);
            db.Dispose();
            using var reopened = LatticeDb.Open(DbPath, options.Clone().WithFileSystem(crashed));
            for (int g = 0; g < 40; g++)
            {
                var values = Enumerable.Range(0, 4).Select(m => S(reopened.Get(B($"g{g:D2}/{m}")))).ToList();
                var ids = values.Select(v => v?.Split(':')[0]).Distinct().ToList();
                Assert.True(ids.Count == 1, $"round {round} group {g}: batch half-applied: {string.Join(",", ids)}");
                if (durable.TryGetValue(g, out int last))
                    Assert.True(ids[0] is not null && int.Parse(ids[0]!, System.Globalization.CultureInfo.InvariantCulture) >= last,
                        $"round {round} group {g}: synced batch {last} lost (found {ids[0] ?? "nothing"})");
            }
        }
    }

    [Fact]
    public void UnsyncedWrites_ProcessKillAtRandomMoments_AllAcknowledgedWritesSurvive()
    {
        var rnd = new Random(TestSeed.Get(78));
        for (int round = 0; round < 25; round++)
        {
            var fs = new MemFileSystem();
            var options = MemOptions(fs, o =>
            {
                o.WriteBufferSize = 8 * 1024;
                o.MaxBytesForLevelBase = 32 * 1024;
                o.TargetFileSizeBase = 8 * 1024;
                o.Level0FileNumCompactionTrigger = 2;
            });
            var db = LatticeDb.Open(DbPath, options);
            var expected = new Dictionary<string, string>();
            int writes = rnd.Next(100, 1500);
            for (int i = 0; i < writes; i++)
            {
                string k = $"k{rnd.Next(300):D3}";
                string v = $"{i}:" + new string('y', rnd.Next(150));
                db.Put(B(k), B(v));
                expected[k] = v;
            }
            var crashed = fs.CrashClone(powerLoss: false);
            db.Dispose();
            using var reopened = LatticeDb.Open(DbPath, options.Clone().WithFileSystem(crashed));
            foreach (var (k, v) in expected) Assert.Equal(v, S(reopened.Get(B(k))));
        }
    }
}

internal static class DbOptionsTestExtensions
{
    public static DbOptions WithFileSystem(this DbOptions o, MemFileSystem fs)
    {
        o.FileSystem = fs;
        return o;
    }
}
