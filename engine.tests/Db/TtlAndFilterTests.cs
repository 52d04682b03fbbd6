using LatticeKV.Io;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Db;

public class TtlAndFilterTests
{
    private sealed class DropPrefix(string prefix) : CompactionFilter
    {
        public int Calls;

        public override string Name => "drop-" + prefix;

        public override bool ShouldRemove(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
        {
            Interlocked.Increment(ref Calls);
            return key.StartsWith(B(prefix));
        }
    }

    [Fact]
    public void Ttl_ExpiredEntries_InvisibleBeforeCompactionAndRemovedByIt()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var fs = new MemFileSystem();
        var options = MemOptions(fs, o => o.Clock = clock);
        using var db = LatticeDb.Open(DbPath, options);
        var sessions = db.CreateColumnFamily("sessions", new ColumnFamilyOptions { Ttl = TimeSpan.FromHours(1) });
        for (int i = 0; i < 1000; i++) db.Put(sessions, B($"s{i:D4}"), B("token" + i));
        db.Flush(sessions);
        clock.Advance(TimeSpan.FromMinutes(30));
        db.Put(sessions, B("fresh"), B("new"));
        Assert.Equal("token5", S(db.Get(sessions, B("s0005"))));

        clock.Advance(TimeSpan.FromMinutes(31));
        Assert.Null(db.Get(sessions, B("s0005")));                // expired, though still on disk
        Assert.Equal("new", S(db.Get(sessions, B("fresh"))));     // 31 minutes old
        using (var it = db.NewIterator(sessions))
        {
            it.SeekToFirst();
            Assert.True(it.Valid);
            Assert.Equal("fresh", S(it.Key.ToArray()));
            it.Next();
            Assert.False(it.Valid);
        }
        long before = long.Parse(db.GetProperty(sessions, "lattice.total-sst-files-size")!, System.Globalization.CultureInfo.InvariantCulture);
        db.CompactRange(sessions);
        long after = long.Parse(db.GetProperty(sessions, "lattice.total-sst-files-size")!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(after < before / 4, $"compaction kept {after} of {before} bytes of expired data");
        Assert.Equal("new", S(db.Get(sessions, B("fresh"))));
    }

    [Fact]
    public void CompactionFilter_RejectedEntries_HiddenOnReadsAndDroppedByCompaction()
    {
        using var dir = new TempDir();
        var filter = new DropPrefix("draft/");
        var options = new DbOptions();
        options.DefaultColumnFamilyOptions.CompactionFilter = filter;
        using var db = LatticeDb.Open(dir.Path, options);
        db.Put(B("draft/1"), B("x"));
        db.Put(B("final/1"), B("y"));
        Assert.Null(db.Get(B("draft/1")));
        Assert.Equal("y", S(db.Get(B("final/1"))));
        db.Flush();
        db.CompactRange();
        Assert.True(filter.Calls > 0);
        using var it = db.NewIterator();
        var keys = new List<string>();
        for (it.SeekToFirst(); it.Valid; it.Next()) keys.Add(S(it.Key.ToArray())!);
        Assert.Equal(["final/1"], keys);
    }

    [Fact]
    public void CompactionFilter_RemovedNewerVersion_DoesNotResurrectOlderOne()
    {
        using var dir = new TempDir();
        var options = new DbOptions();
        options.DefaultColumnFamilyOptions.CompactionFilter = new DropPrefix("zzz");
        using (var db = LatticeDb.Open(dir.Path))
        {
            db.Put(B("k"), B("old"));
            db.Flush();
            db.CompactRange(); // "old" now at the bottom level
        }
        // Filter on values: drop values starting with "bad".
        var byValue = new DbOptions();
        byValue.DefaultColumnFamilyOptions.CompactionFilter = new ValueFilter();
        using var db2 = LatticeDb.Open(dir.Path, byValue);
        db2.Put(B("k"), B("bad"));
        db2.Flush();
        Assert.Null(db2.Get(B("k")));
        db2.CompactRange(B("a"), B("j")); // a compaction that does not reach the old version
        db2.Flush();
        Assert.Null(db2.Get(B("k")));
        db2.CompactRange();
        Assert.Null(db2.Get(B("k")));
    }

    private sealed class ValueFilter : CompactionFilter
    {
        public override string Name => "bad-values";

        public override bool ShouldRemove(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => value.StartsWith("bad"u8);
    }
}
