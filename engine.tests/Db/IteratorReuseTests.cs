using LatticeKV.Io;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Db;

/// <summary>
/// A disposed iterator leaves its internals (table iterators, leases) for the next iterator over
/// the same tables. The next one must still see exactly its own point in time: later writes to
/// the memtable, its own snapshot, range deletions, and other tables once they change.
/// </summary>
public class IteratorReuseTests
{
    private static List<string> Keys(LatticeDb db, ReadOptions? options = null)
    {
        using var it = db.NewIterator(options);
        var keys = new List<string>();
        for (it.SeekToFirst(); it.Valid; it.Next()) keys.Add(S(it.Key.ToArray())!);
        return keys;
    }

    private static LatticeDb OpenWithTables(MemFileSystem fs)
    {
        var db = LatticeDb.Open(DbPath, MemOptions(fs));
        for (int i = 0; i < 50; i++) db.Put(B($"t{i:D2}"), B("table"));
        db.Flush();
        return db;
    }

    [Fact]
    public void NewIterator_AfterOneWasDisposed_ReusesItsInternalsAndSeesLaterWrites()
    {
        using var db = OpenWithTables(new MemFileSystem());
        Assert.Equal(50, Keys(db).Count);
        db.Put(B("m-after"), B("memtable"));
        var keys = Keys(db);
        Assert.Equal(51, keys.Count);
        Assert.Contains("m-after", keys);
        var stats = db.GetStatistics();
        Assert.Equal(2, stats["iterator.created"]);
        Assert.Equal(1, stats["iterator.reused.internals"]);
    }

    [Fact]
    public void NewIterator_ReusedInternals_ReadAtItsOwnSnapshot()
    {
        using var db = OpenWithTables(new MemFileSystem());
        db.Put(B("m1"), B("v"));
        using var snapshot = db.GetSnapshot();
        Assert.Equal(51, Keys(db).Count);
        db.Put(B("m2"), B("v"));
        db.Delete(B("t00"));
        var atSnapshot = Keys(db, new ReadOptions { Snapshot = snapshot });
        Assert.Equal(51, atSnapshot.Count);
        Assert.Contains("t00", atSnapshot);
        Assert.DoesNotContain("m2", atSnapshot);
        var now = Keys(db);
        Assert.Contains("m2", now);
        Assert.DoesNotContain("t00", now);
        Assert.True(db.GetStatistics()["iterator.reused.internals"] >= 2);
    }

    [Fact]
    public void NewIterator_AfterARangeDeletion_DoesNotReuseInternalsThatIgnoreIt()
    {
        using var db = OpenWithTables(new MemFileSystem());
        Assert.Equal(50, Keys(db).Count);                     // leaves internals built without tombstones
        db.DeleteRange(B("t10"), B("t20"));
        var keys = Keys(db);
        Assert.Equal(40, keys.Count);
        Assert.DoesNotContain("t15", keys);
        db.Flush();                                          // the tombstone moves into a table
        Assert.Equal(40, Keys(db).Count);
        Assert.Equal(40, Keys(db).Count);
    }

    /// <summary>
    /// At an older snapshot a newer range tombstone is invisible, so that iterator's fragments are
    /// empty; its internals must not be handed to an iterator that has to see the tombstone.
    /// </summary>
    [Fact]
    public void NewIterator_AfterOneAtASnapshotOlderThanATombstone_StillSeesTheTombstone()
    {
        using var db = OpenWithTables(new MemFileSystem());
        using var before = db.GetSnapshot();
        db.DeleteRange(B("t10"), B("t20"));
        db.Flush();
        Assert.Equal(50, Keys(db, new ReadOptions { Snapshot = before }).Count);
        Assert.Equal(40, Keys(db).Count);
        Assert.Equal(50, Keys(db, new ReadOptions { Snapshot = before }).Count);
    }

    [Fact]
    public void NewIterator_AfterFlushAndCompaction_ReadsTheNewTables()
    {
        using var db = OpenWithTables(new MemFileSystem());
        Assert.Equal(50, Keys(db).Count);
        for (int i = 0; i < 50; i += 2) db.Put(B($"t{i:D2}"), B("rewritten"));
        db.Flush();
        db.CompactRange();
        using var it = db.NewIterator();
        int rewritten = 0, n = 0;
        for (it.SeekToFirst(); it.Valid; it.Next(), n++)
            if (S(it.Value.ToArray()) == "rewritten") rewritten++;
        Assert.Equal((50, 25), (n, rewritten));
    }

    [Fact]
    public void NewIterator_WithTheOtherFillCachePolicy_BuildsItsOwnInternals()
    {
        using var db = OpenWithTables(new MemFileSystem());
        Assert.Equal(50, Keys(db).Count);
        Assert.Equal(50, Keys(db, new ReadOptions { FillCache = false }).Count);
        Assert.Equal(0, db.GetStatistics()["iterator.reused.internals"]);
    }

    [Fact]
    public void Iterators_OpenAtOnce_EachHaveTheirOwnInternals()
    {
        using var db = OpenWithTables(new MemFileSystem());
        Assert.Equal(50, Keys(db).Count);
        using var a = db.NewIterator();
        using var b = db.NewIterator();
        a.Seek(B("t10"));
        b.Seek(B("t40"));
        Assert.Equal("t10", S(a.Key.ToArray()));
        Assert.Equal("t40", S(b.Key.ToArray()));
        a.Next();
        Assert.Equal("t11", S(a.Key.ToArray()));
        Assert.Equal("t40", S(b.Key.ToArray()));
    }
}
