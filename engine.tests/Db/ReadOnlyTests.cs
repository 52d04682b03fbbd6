using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Db;

public class ReadOnlyTests
{
    /// <summary>Tables in two column families, then unflushed batches left in the log.</summary>
    private static Dictionary<string, string> Build(string path)
    {
        var model = new Dictionary<string, string>();
        using var db = LatticeDb.Open(path, new DbOptions { WriteBufferSize = 64 << 20, IdleCompactionDelay = null }); // its level-0 table stays, on a loaded machine too
        var notes = db.CreateColumnFamily("notes");
        for (int i = 0; i < 2000; i++)
        {
            db.Put(B($"k{i:D5}"), B($"table-{i}"));
            model[$"k{i:D5}"] = $"table-{i}";
        }
        db.Put(notes, B("n1"), B("flushed note"));
        db.Flush();
        for (int i = 0; i < 2000; i += 3)
        {
            db.Put(B($"k{i:D5}"), B($"log-{i}"));
            model[$"k{i:D5}"] = $"log-{i}";
        }
        db.Delete(B("k00001"));
        model.Remove("k00001");
        db.Put(notes, B("n2"), B("logged note"));
        return model;
    }

    [Fact]
    public void OpenReadOnly_SeesLoggedWrites_AndChangesNoFile()
    {
        using var dir = new TempDir("ro");
        var model = Build(dir.Path);
        var before = DirectoryFingerprint.Of(dir.Path);
        Assert.Contains(before.Keys, n => n.EndsWith(".log", StringComparison.Ordinal));

        // A write buffer far smaller than the log's contents: read-only replay must still not flush.
        using (var db = LatticeDb.OpenReadOnly(dir.Path, new DbOptions { WriteBufferSize = 64 * 1024 }))
        {
            Assert.True(db.IsReadOnly);
            var seen = new Dictionary<string, string>();
            using (var it = db.NewIterator())
                for (it.SeekToFirst(); it.Valid; it.Next()) seen[S(it.Key.ToArray())!] = S(it.Value.ToArray())!;
            Assert.Equal(model.OrderBy(kv => kv.Key), seen.OrderBy(kv => kv.Key));
            Assert.Equal("log-3", S(db.Get(B("k00003"))));
            Assert.Null(db.Get(B("k00001")));
            var notes = db.GetColumnFamily("notes");
            Assert.Equal("flushed note", S(db.Get(notes, B("n1"))));
            Assert.Equal("logged note", S(db.Get(notes, B("n2"))));
            using var snap = db.GetSnapshot();
            Assert.Equal("log-0", S(db.Get(B("k00000"), new ReadOptions { Snapshot = snap })));
            db.VerifyChecksums();
        }
        Assert.Equal(before, DirectoryFingerprint.Of(dir.Path));

        // And the database opens for writing afterwards with everything intact.
        using var rw = LatticeDb.Open(dir.Path);
        Assert.Equal("log-1998", S(rw.Get(B("k01998"))));
    }

    [Fact]
    public void OpenReadOnly_RejectsEveryChange_WithTypedError()
    {
        using var dir = new TempDir("ro");
        Build(dir.Path);
        var before = DirectoryFingerprint.Of(dir.Path);
        using (var db = LatticeDb.OpenReadOnly(dir.Path))
        {
            var notes = db.GetColumnFamily("notes");
            var batch = new WriteBatch();
            batch.Put(B("a"), B("b"));
            var attempts = new Action[]
            {
                () => db.Put(B("a"), B("b")),
                () => db.Put(notes, B("a"), B("b")),
                () => db.Delete(B("k00002")),
                () => db.DeleteRange(B("k"), B("l")),
                () => db.Write(batch),
                () => db.Put(B("a"), B("b"), new WriteOptions { Sync = true }),
                () => db.Flush(),
                () => db.Flush(notes),
                () => db.CompactRange(),
                () => db.CompactRange(notes),
                () => db.CreateColumnFamily("more"),
                () => db.DropColumnFamily(notes),
            };
            foreach (var attempt in attempts)
            {
                var ex = Assert.Throws<DbReadOnlyException>(attempt);
                Assert.Equal(dir.Path, ex.DbPath);
            }
            Assert.Equal("table-2", S(db.Get(B("k00002"))));
        }
        Assert.Equal(before, DirectoryFingerprint.Of(dir.Path));
    }

    [Fact]
    public void ReadOnlyInstances_ShareTheDirectory_ButExcludeAWriter()
    {
        using var dir = new TempDir("ro");
        Build(dir.Path);
        using (var a = LatticeDb.OpenReadOnly(dir.Path))
        using (var b = LatticeDb.OpenReadOnly(dir.Path))
        {
            Assert.Equal(a.Get(B("k00006")), b.Get(B("k00006")));
            Assert.Throws<DbLockedException>(() => LatticeDb.Open(dir.Path));
            a.Dispose();
            Assert.Throws<DbLockedException>(() => LatticeDb.Open(dir.Path)); // b still holds it
        }
        using (var writer = LatticeDb.Open(dir.Path))
        {
            Assert.Throws<DbLockedException>(() => LatticeDb.OpenReadOnly(dir.Path));
        }
        using var again = LatticeDb.OpenReadOnly(dir.Path);
        Assert.NotNull(again.Get(B("k00000")));
    }

    [Fact]
    public async Task OpenReadOnly_WaitForCompactions_ReturnsThoughCompactionIsDue()
    {
        using var dir = new TempDir("ro");
        Build(dir.Path);
        // A trigger of one level-0 file makes compaction due, but a read-only instance runs none.
        using var db = LatticeDb.OpenReadOnly(dir.Path, new DbOptions { Level0FileNumCompactionTrigger = 1 });
        Assert.True(int.Parse(db.GetProperty("lattice.num-files-at-level0")!, System.Globalization.CultureInfo.InvariantCulture) >= 1);
        await Task.Run(db.WaitForCompactions).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("table-2", S(db.Get(B("k00002"))));
    }

    [Fact]
    public void OpenReadOnly_OfMissingDatabase_CreatesNothing()
    {
        using var dir = new TempDir("ro");
        string path = dir.Sub("absent");
        Assert.Throws<DbNotFoundException>(() => LatticeDb.OpenReadOnly(path));
        Assert.False(Directory.Exists(path));

        string empty = dir.Sub("empty");
        Directory.CreateDirectory(empty);
        Assert.Throws<DbNotFoundException>(() => LatticeDb.OpenReadOnly(empty));
        Assert.DoesNotContain(Directory.EnumerateFiles(empty), f => !f.EndsWith("LOCK", StringComparison.Ordinal));
    }

    [Fact]
    public void OpenReadOnly_ReportsDamageInsteadOfRepairingIt()
    {
        using var dir = new TempDir("ro");
        Build(dir.Path);
        File.Delete(System.IO.Path.Combine(dir.Path, "CURRENT"));
        var ex = Assert.Throws<CorruptionException>(() => LatticeDb.OpenReadOnly(dir.Path));
        Assert.EndsWith("CURRENT", ex.FilePath);
    }
}
