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
    public void FlushOfOneColumnFamily_PowerLossBeforeAnySync_BatchAcrossFamiliesStaysWhole()
    {
        var fs = new MemFileSystem();
        var options = MemOptions(fs);
        var db = LatticeDb.Open(DbPath, options);
        var other = db.CreateColumnFamily("other");
        var batch = new WriteBatch();
        batch.Put(db.DefaultColumnFamily, B("a"), B("1"));
        batch.Put(other, B("b"), B("1"));
        db.Write(batch); // unsynced: a power loss may drop it, but only whole
        // The flush makes the default family's half durable in a table; the other half is
        // still only in the log, which nothing has synced.
        db.Flush(db.DefaultColumnFamily);
        var crashed = fs.CrashClone(powerLoss: true);
        db.Dispose();

        using var reopened = LatticeDb.Open(DbPath, options.Clone().WithFileSystem(crashed));
        var seen = (S(reopened.Get(B("a"))), S(reopened.Get(reopened.GetColumnFamily("other"), B("b"))));
        Assert.True(seen is ("1", "1") or (null, null), $"the batch is half-applied after the power loss: a = {seen.Item1 ?? "absent"}, b = {seen.Item2 ?? "absent"}");
    }

    [Fact]
    public void UnsyncedWrites_ProcessKillAtRandomMoments_AllAcknowledgedWritesSurvive()
    {
        int seed = TestSeed.Get(78);
        var rnd = new Random(seed);
        const int Writers = 3;
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
            // Per writer (each owns its keys), every write in order: recorded before it is issued.
            var gate = new object();
            var writes = Enumerable.Range(0, Writers).Select(_ => new List<(string Key, string? Value)>()).ToArray();
            var acked = new int[Writers];
            int total = 0, target = rnd.Next(100, 1500);
            Exception? failure = null;
            bool stop = false;
            var threads = Enumerable.Range(0, Writers).Select(w => new Thread(() =>
            {
                var r = new Random(seed * 31 + round * 7 + w);
                for (int n = 0; !Volatile.Read(ref stop); n++)
                {
                    string key = $"w{w}k{r.Next(100):D3}";
                    string? value = r.Next(10) == 0 ? null : $"{w}:{n}:" + new string('y', r.Next(150));
                    lock (gate) writes[w].Add((key, value));
                    try
                    {
                        if (value is null) db.Delete(B(key));
                        else db.Put(B(key), B(value));
                    }
                    catch (Exception ex)
                    {
                        lock (gate)
                        {
                            failure = ex;
                            Monitor.PulseAll(gate);
                        }
                        return;
                    }
                    lock (gate)
                    {
                        acked[w]++;
                        if (++total >= target) Monitor.PulseAll(gate);
                    }
                }
            }) { IsBackground = true }).ToList();
            foreach (var t in threads) t.Start();

            // The process dies while the writers (and the flushes and compactions they cause) run.
            MemFileSystem crashed;
            int[] ackedAtCrash;
            List<(string Key, string? Value)>[] issuedAtCrash;
            try
            {
                lock (gate)
                {
                    while (total < target && failure is null)
                        Assert.True(Monitor.Wait(gate, TimeSpan.FromMinutes(1)), $"seed={seed} round {round}: the writers stalled at {total} of {target} writes");
                    crashed = fs.CrashClone(powerLoss: false);
                    ackedAtCrash = [.. acked];
                    issuedAtCrash = [.. writes.Select(w => w.ToList())];
                }
            }
            finally
            {
                Volatile.Write(ref stop, true);
                foreach (var t in threads) t.Join();
                db.Dispose();
            }
            Assert.Null(failure);

            using var reopened = LatticeDb.Open(DbPath, options.Clone().WithFileSystem(crashed));
            var present = new HashSet<string>();
            using (var it = reopened.NewIterator())
                for (it.SeekToFirst(); it.Valid; it.Next()) present.Add(S(it.Key.ToArray())!);
            for (int w = 0; w < Writers; w++)
            {
                // Every acknowledged write is there; the one in flight at the crash may be too.
                var mustHold = StateAfter(issuedAtCrash[w], ackedAtCrash[w]);
                var mayHold = StateAfter(issuedAtCrash[w], issuedAtCrash[w].Count);
                foreach (string key in mustHold.Keys.Union(mayHold.Keys))
                {
                    string? actual = S(reopened.Get(B(key)));
                    Assert.True(actual == mustHold.GetValueOrDefault(key) || actual == mayHold.GetValueOrDefault(key),
                        $"seed={seed} round {round}: {key} holds {actual ?? "nothing"}, acknowledged {mustHold.GetValueOrDefault(key) ?? "nothing"}");
                    Assert.Equal(actual is not null, present.Remove(key));
                }
            }
            Assert.True(present.Count == 0, $"seed={seed} round {round}: keys nobody wrote: {string.Join(", ", present)}");
        }
    }

    /// <summary>Each key's value after the first <paramref name="count"/> writes (null: deleted).</summary>
    private static Dictionary<string, string?> StateAfter(List<(string Key, string? Value)> writes, int count)
    {
        var state = new Dictionary<string, string?>();
        foreach (var (key, value) in writes.Take(count)) state[key] = value;
        return state;
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
