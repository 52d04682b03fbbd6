using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Db;

public class RangeDeleteTests
{
    private static DbOptions Small() => new()
    {
        WriteBufferSize = 16 * 1024,
        MaxBytesForLevelBase = 64 * 1024,
        TargetFileSizeBase = 16 * 1024,
        Level0FileNumCompactionTrigger = 2,
    };

    [Fact]
    public void DeleteRange_AcrossMemtableTablesAndLevels_HidesExactlyTheRange()
    {
        using var dir = new TempDir();
        using var db = LatticeDb.Open(dir.Path, Small());
        for (int i = 0; i < 3000; i++) db.Put(B($"k{i:D5}"), B(new string('v', 40) + i));
        db.CompactRange();                                  // data in the levels
        for (int i = 0; i < 3000; i += 2) db.Put(B($"k{i:D5}"), B("new" + i)); // newer data in L0/memtable
        db.DeleteRange(B("k01000"), B("k02000"));
        for (int i = 1500; i < 1510; i++) db.Put(B($"k{i:D5}"), B("after" + i)); // written after the tombstone

        void Check(string when)
        {
            for (int i = 0; i < 3000; i++)
            {
                var v = S(db.Get(B($"k{i:D5}")));
                if (i >= 1500 && i < 1510) Assert.True(v == "after" + i, $"{when}: k{i}");
                else if (i >= 1000 && i < 2000) Assert.True(v is null, $"{when}: k{i} should be deleted");
                else Assert.True(v is not null, $"{when}: k{i} should exist");
            }
            using var it = db.NewIterator();
            int count = 0;
            for (it.SeekToFirst(); it.Valid; it.Next()) count++;
            Assert.Equal(2010, count);
            int back = 0;
            for (it.SeekToLast(); it.Valid; it.Prev()) back++;
            Assert.Equal(2010, back);
        }
        Check("memtable");
        db.Flush();
        Check("flushed");
        db.CompactRange();
        Check("compacted");
        Assert.Equal("0", db.GetProperty("lattice.num-files-at-level0"));
    }

    [Fact]
    public void DeleteRange_SnapshotTakenBefore_StillSeesDeletedKeysAcrossCompaction()
    {
        using var dir = new TempDir();
        using var db = LatticeDb.Open(dir.Path, Small());
        for (int i = 0; i < 1000; i++) db.Put(B($"k{i:D4}"), B("v" + i));
        using var snap = db.GetSnapshot();
        db.DeleteRange(B("k0100"), B("k0900"));
        db.CompactRange();
        var ro = new ReadOptions { Snapshot = snap };
        Assert.Equal("v500", S(db.Get(B("k0500"), ro)));
        Assert.Null(db.Get(B("k0500")));
        using var it = db.NewIterator(ro);
        int n = 0;
        for (it.SeekToFirst(); it.Valid; it.Next()) n++;
        Assert.Equal(1000, n);
    }

    [Fact]
    public void DeleteRange_ManyOverlapping_MatchModelAfterReopen()
    {
        using var dir = new TempDir();
        var model = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var rnd = new Random(TestSeed.Get(5));
        using (var db = LatticeDb.Open(dir.Path, Small()))
        {
            for (int step = 0; step < 4000; step++)
            {
                int a = rnd.Next(2000);
                if (rnd.Next(20) == 0)
                {
                    int b = a + rnd.Next(200);
                    db.DeleteRange(B($"k{a:D4}"), B($"k{b:D4}"));
                    foreach (var k in model.Keys.Where(k => string.CompareOrdinal(k, $"k{a:D4}") >= 0 && string.CompareOrdinal(k, $"k{b:D4}") < 0).ToList()) model.Remove(k);
                }
                else
                {
                    db.Put(B($"k{a:D4}"), B("v" + step));
                    model[$"k{a:D4}"] = "v" + step;
                }
            }
        }
        using var reopened = LatticeDb.Open(dir.Path, Small());
        reopened.CompactRange(B("k0500"), B("k1500"));
        using var it = reopened.NewIterator();
        var actual = new List<(string, string)>();
        for (it.SeekToFirst(); it.Valid; it.Next()) actual.Add((S(it.Key.ToArray())!, S(it.Value.ToArray())!));
        Assert.Equal(model.Select(kv => (kv.Key, kv.Value)).ToList(), actual);
    }
}
