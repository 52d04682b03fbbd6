using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Db;

public class ApiTests
{
    [Fact]
    public void Put_EmptyKey_ThrowsInvalidArgument()
    {
        using var dir = new TempDir();
        using var db = LatticeDb.Open(dir.Path);
        var ex = Assert.Throws<InvalidArgumentException>(() => db.Put([], B("v")));
        Assert.Equal("key", ex.ParamName);
        Assert.Throws<InvalidArgumentException>(() => db.Get([]));
        Assert.Throws<InvalidArgumentException>(() => db.Delete([]));
    }

    [Fact]
    public void Put_OversizedKeyOrValue_ThrowsInvalidArgumentAndWritesNothing()
    {
        using var dir = new TempDir();
        using var db = LatticeDb.Open(dir.Path);
        Assert.Throws<InvalidArgumentException>(() => db.Put(new byte[WriteBatch.MaxKeySize + 1], B("v")));
        Assert.Throws<InvalidArgumentException>(() => db.Put(B("k"), new byte[WriteBatch.MaxValueSize + 1]));
        db.Put(new byte[WriteBatch.MaxKeySize], B("max key"));
        Assert.Equal("max key", S(db.Get(new byte[WriteBatch.MaxKeySize])));
        Assert.Null(db.Get(B("k")));
    }

    [Fact]
    public void Value_LargeAndEmpty_RoundTripThroughFlush()
    {
        using var dir = new TempDir();
        using var db = LatticeDb.Open(dir.Path);
        var big = new byte[5 * 1024 * 1024];
        new Random(1).NextBytes(big);
        db.Put(B("big"), big);
        db.Put(B("empty"), []);
        db.Flush();
        Assert.Equal(big, db.Get(B("big")));
        Assert.Equal(Array.Empty<byte>(), db.Get(B("empty"))!);
    }

    [Fact]
    public void Flush_WhenItReturns_HasDeletedTheLogsItMadeObsolete()
    {
        using var dir = new TempDir();
        using var db = LatticeDb.Open(dir.Path);
        for (int round = 0; round < 3; round++)
        {
            for (int i = 0; i < 100; i++) db.Put(B($"k{round}-{i}"), B("v"));
            db.Flush();
            // Only the log the new memtable writes to may remain.
            Assert.Single(Directory.GetFiles(dir.Path, "*.log"));
        }
        Assert.Equal("v", S(db.Get(B("k2-99"))));
    }

    [SkippableFact]
    public void CompactionThreads_OnLinux_RunAtTheConfiguredNiceValue()
    {
        using var dir = new TempDir();
        Assert.Throws<InvalidArgumentException>(() => LatticeDb.Open(dir.Path, new DbOptions { CompactionThreadNice = 20 }));
        Skip.IfNot(OperatingSystem.IsLinux(), "thread nice values are read from /proc (Linux)");
        // Each of this database's threads reads its own nice value: a search of the process's threads by name
        // found other databases' compaction threads (at the default nice) when tests ran in parallel.
        var threads = new BackgroundThreadNices();
        using var db = LatticeDb.Open(dir.Path, new DbOptions
        {
            CompactionThreadNice = 7,
            MaxBackgroundCompactions = 2,
            TestHooks = new LatticeKV.Db.TestHooks { BackgroundThreadStarted = threads.Record },
        });
        Assert.Equal([7, 7], threads.Take("lattice-compact", 2, TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void Methods_AfterDispose_ThrowObjectDisposed()
    {
        using var dir = new TempDir();
        var db = LatticeDb.Open(dir.Path);
        var it = db.NewIterator();
        var snap = db.GetSnapshot();
        db.Dispose();
        db.Dispose(); // idempotent
        Assert.Throws<ObjectDisposedException>(() => db.Put(B("k"), B("v")));
        Assert.Throws<ObjectDisposedException>(() => db.Get(B("k")));
        Assert.Throws<ObjectDisposedException>(() => db.NewIterator());
        Assert.Throws<ObjectDisposedException>(() => db.GetSnapshot());
        Assert.Throws<ObjectDisposedException>(() => it.SeekToFirst());
        it.Dispose();
        snap.Dispose();
    }

    [Fact]
    public void Open_SecondInstanceSameDirectory_ThrowsDbLocked()
    {
        using var dir = new TempDir();
        using (var db = LatticeDb.Open(dir.Path))
        {
            var ex = Assert.Throws<DbLockedException>(() => LatticeDb.Open(dir.Path));
            Assert.Equal(Path.GetFullPath(dir.Path), ex.DbPath);
        }
        using var again = LatticeDb.Open(dir.Path); // released on dispose
    }

    [Fact]
    public void Open_CreateIfMissingFalseOnEmptyDirectory_ThrowsDbNotFound()
    {
        using var dir = new TempDir();
        Assert.Throws<DbNotFoundException>(() => LatticeDb.Open(dir.Sub("nope"), new DbOptions { CreateIfMissing = false }));
        Assert.Throws<DbNotFoundException>(() => LatticeDb.Open(dir.Path, new DbOptions { CreateIfMissing = false }));
    }

    [Fact]
    public void Open_ErrorIfExistsOnExistingDatabase_ThrowsDbAlreadyExists()
    {
        using var dir = new TempDir();
        LatticeDb.Open(dir.Path).Dispose();
        Assert.Throws<DbAlreadyExistsException>(() => LatticeDb.Open(dir.Path, new DbOptions { ErrorIfExists = true }));
    }

    [Fact]
    public void Open_InvalidOptions_ThrowsInvalidArgument()
    {
        using var dir = new TempDir();
        Assert.Throws<InvalidArgumentException>(() => LatticeDb.Open(dir.Path, new DbOptions { WriteBufferSize = 10 }));
        Assert.Throws<InvalidArgumentException>(() => LatticeDb.Open(dir.Path, new DbOptions { NumLevels = 1 }));
        Assert.Throws<InvalidArgumentException>(() => LatticeDb.Open(dir.Path, new DbOptions { Level0StopWritesTrigger = 1 }));
        Assert.Throws<InvalidArgumentException>(() => LatticeDb.Open(" "));
        Assert.Empty(Directory.EnumerateFiles(dir.Path)); // nothing was created by a rejected open
    }

    [Fact]
    public void DeleteRange_EndBeforeBegin_ThrowsInvalidArgument()
    {
        using var dir = new TempDir();
        using var db = LatticeDb.Open(dir.Path);
        Assert.Throws<InvalidArgumentException>(() => db.DeleteRange(B("z"), B("a")));
        db.Put(B("m"), B("1"));
        db.DeleteRange(B("m"), B("m")); // empty range: nothing happens
        Assert.Equal("1", S(db.Get(B("m"))));
    }

    [Fact]
    public void TryGet_SpanAndBufferWriter_CopyValueAndReportLength()
    {
        using var dir = new TempDir();
        using var db = LatticeDb.Open(dir.Path);
        db.Put(B("k"), B("hello"));
        Span<byte> small = stackalloc byte[2];
        Assert.True(db.TryGet(B("k"), small, out int len));
        Assert.Equal(5, len);
        Span<byte> big = stackalloc byte[16];
        Assert.True(db.TryGet(B("k"), big, out len));
        Assert.Equal("hello", System.Text.Encoding.UTF8.GetString(big[..len]));
        Assert.False(db.TryGet(B("absent"), big, out _));
        var writer = new System.Buffers.ArrayBufferWriter<byte>();
        Assert.True(db.TryGet(B("k"), writer));
        Assert.Equal("hello", System.Text.Encoding.UTF8.GetString(writer.WrittenSpan));
        Assert.True(db.ContainsKey(B("k")));
    }

    [Fact]
    public void Snapshot_FromOtherDatabaseOrDisposed_ThrowsInvalidArgument()
    {
        using var dir = new TempDir();
        using var a = LatticeDb.Open(dir.Sub("a"));
        using var b = LatticeDb.Open(dir.Sub("b"));
        using var snapA = a.GetSnapshot();
        Assert.Throws<InvalidArgumentException>(() => b.Get(B("k"), new ReadOptions { Snapshot = snapA }));
        var snapB = b.GetSnapshot();
        snapB.Dispose();
        Assert.Throws<InvalidArgumentException>(() => b.Get(B("k"), new ReadOptions { Snapshot = snapB }));
    }

    [Fact]
    public void Iterator_AccessWhenInvalid_ThrowsInvalidOperation()
    {
        using var dir = new TempDir();
        using var db = LatticeDb.Open(dir.Path);
        using var it = db.NewIterator();
        it.SeekToFirst();
        Assert.False(it.Valid);
        Assert.Throws<InvalidOperationException>(() => it.Key.ToArray());
        Assert.Throws<InvalidOperationException>(() => it.Next());
    }

    [Fact]
    public void Write_BatchAcrossOperations_AppliesInOrder()
    {
        using var dir = new TempDir();
        using var db = LatticeDb.Open(dir.Path);
        var batch = new WriteBatch();
        batch.Put(B("a"), B("1"));
        batch.Delete(B("a"));
        batch.Put(B("b"), B("2"));
        batch.Put(B("b"), B("3"));
        Assert.Equal(4, batch.Count);
        db.Write(batch);
        Assert.Null(db.Get(B("a")));
        Assert.Equal("3", S(db.Get(B("b"))));
        batch.Clear();
        Assert.Equal(0, batch.Count);
        db.Write(batch); // empty batch is a no-op
    }

    [Fact]
    public void Open_DatabaseFilesWithoutCurrent_ThrowsCorruptionInsteadOfCreating()
    {
        using var dir = new TempDir();
        using (var db = LatticeDb.Open(dir.Path))
        {
            db.Put(B("k"), B("v"));
            db.Flush();
        }
        File.Delete(Path.Combine(dir.Path, "CURRENT"));
        var ex = Assert.Throws<CorruptionException>(() => LatticeDb.Open(dir.Path));
        Assert.EndsWith("CURRENT", ex.FilePath);
    }
}
