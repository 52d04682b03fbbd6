using LatticeKV.Io;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Db;

public class ColumnFamilyTests
{
    [Fact]
    public void CreateColumnFamily_KeyspacesAreSeparateAndSurviveReopen()
    {
        using var dir = new TempDir();
        using (var db = LatticeDb.Open(dir.Path))
        {
            var accounts = db.CreateColumnFamily("accounts");
            db.Put(accounts, B("k"), B("in accounts"));
            db.Put(B("k"), B("in default"));
            Assert.Equal("in accounts", S(db.Get(accounts, B("k"))));
            Assert.Equal("in default", S(db.Get(B("k"))));
            Assert.Throws<InvalidArgumentException>(() => db.CreateColumnFamily("accounts"));
            Assert.Throws<InvalidArgumentException>(() => db.CreateColumnFamily(""));
        }
        Assert.Equal(["default", "accounts"], LatticeDb.ListColumnFamilies(dir.Path));
        using (var db = LatticeDb.Open(dir.Path))
        {
            var accounts = db.GetColumnFamily("accounts");
            Assert.Equal("in accounts", S(db.Get(accounts, B("k"))));
            Assert.Equal(["default", "accounts"], db.ColumnFamilies.Select(c => c.Name));
        }
    }

    [Fact]
    public void DropColumnFamily_DataGoneHandleUnusableAndNameReusable()
    {
        using var dir = new TempDir();
        using var db = LatticeDb.Open(dir.Path, new DbOptions { WriteBufferSize = 8 * 1024 });
        var tmp = db.CreateColumnFamily("tmp");
        for (int i = 0; i < 2000; i++) db.Put(tmp, B($"k{i}"), B(new string('z', 50)));
        db.Flush(tmp);
        db.DropColumnFamily(tmp);
        Assert.Throws<ColumnFamilyNotFoundException>(() => db.Get(tmp, B("k1")));
        Assert.Throws<ColumnFamilyNotFoundException>(() => db.GetColumnFamily("tmp"));
        Assert.Throws<InvalidArgumentException>(() => db.DropColumnFamily(db.DefaultColumnFamily));
        var again = db.CreateColumnFamily("tmp");
        Assert.NotEqual(tmp.Id, again.Id);
        Assert.Null(db.Get(again, B("k1")));
        db.WaitForCompactions(); // a compaction of the dropped family may still be finishing
        Assert.Empty(Directory.EnumerateFiles(dir.Path, "*.sst")); // the dropped family's tables are deleted
    }

    [Fact]
    public void Write_BatchAcrossColumnFamilies_IsAtomicAfterCrash()
    {
        var fs = new MemFileSystem();
        var options = MemOptions(fs);
        var db = LatticeDb.Open(DbPath, options);
        var a = db.CreateColumnFamily("a");
        var b = db.CreateColumnFamily("b");
        for (int i = 0; i < 100; i++)
        {
            var batch = new WriteBatch();
            batch.Put(a, B($"k{i}"), B($"v{i}"));
            batch.Put(b, B($"k{i}"), B($"v{i}"));
            batch.Put(B($"k{i}"), B($"v{i}"));
            db.Write(batch);
        }
        var crashed = fs.CrashClone(powerLoss: false);
        db.Dispose();
        string log = crashed.ListFiles(DbPath).Single(n => n.EndsWith(".log", StringComparison.Ordinal));
        var bytes = crashed.GetContents(System.IO.Path.Combine(DbPath, log));
        var ends = LogLayout.RecordEnds(bytes);
        Assert.True(ends.Count >= 100, $"the log holds {ends.Count} records for 100 batches");
        var batchEnds = ends.TakeLast(100).ToList();
        // Cut the log at every seventh byte of its tail: exactly the batches whose records end
        // before the cut are present, each in all three column families with its values.
        for (int cut = bytes.Length; cut > bytes.Length - 400; cut -= 7)
        {
            var copy = crashed.CrashClone(powerLoss: false);
            copy.SetContents(System.IO.Path.Combine(DbPath, log), bytes.AsSpan(0, cut));
            using var reopened = LatticeDb.Open(DbPath, MemOptions(copy));
            var ra = reopened.GetColumnFamily("a");
            var rb = reopened.GetColumnFamily("b");
            int whole = batchEnds.Count(end => end <= cut);
            for (int i = 0; i < 100; i++)
            {
                string? expected = i < whole ? $"v{i}" : null;
                string where = $"cut at {cut} of {bytes.Length}, {whole} whole batches: k{i}";
                Assert.True(expected == S(reopened.Get(ra, B($"k{i}"))), where + " in a");
                Assert.True(expected == S(reopened.Get(rb, B($"k{i}"))), where + " in b");
                Assert.True(expected == S(reopened.Get(B($"k{i}"))), where + " in default");
            }
        }
    }

    [Fact]
    public void ColumnFamilyOptions_PersistedAndOverridable()
    {
        using var dir = new TempDir();
        using (var db = LatticeDb.Open(dir.Path))
            db.CreateColumnFamily("notes", new ColumnFamilyOptions { BlockSize = 16 * 1024, Compression = CompressionType.None, Ttl = TimeSpan.FromDays(3) });
        using (var db = LatticeDb.Open(dir.Path))
        {
            var notes = db.GetColumnFamily("notes");
            Assert.Equal(16 * 1024, notes.Data.Options.BlockSize);
            Assert.Equal(TimeSpan.FromDays(3), notes.Data.Options.Ttl);
            Assert.Equal(CompressionType.None, notes.Data.Options.Compression);
        }
        var options = new DbOptions();
        options.ColumnFamilyOptions["notes"] = new ColumnFamilyOptions { BlockSize = 8192 };
        using (var db = LatticeDb.Open(dir.Path, options))
            Assert.Equal(8192, db.GetColumnFamily("notes").Data.Options.BlockSize);
        using (var db = LatticeDb.Open(dir.Path))
            Assert.Equal(8192, db.GetColumnFamily("notes").Data.Options.BlockSize);
    }

    [Fact]
    public void ColumnFamilyHandle_FromAnotherDatabase_ThrowsInvalidArgument()
    {
        using var dir = new TempDir();
        using var a = LatticeDb.Open(dir.Sub("a"));
        using var b = LatticeDb.Open(dir.Sub("b"));
        var cf = a.CreateColumnFamily("x");
        Assert.Throws<InvalidArgumentException>(() => b.Put(cf, B("k"), B("v")));
    }
}
