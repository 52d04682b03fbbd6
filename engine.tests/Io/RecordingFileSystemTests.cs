using System.Text;
using LatticeKV.Io;
using LatticeKV.Tests.Support;
using LatticeKV.Tool.Crash.States;
using LatticeKV.Wal;

namespace LatticeKV.Tests.Io;

public class RecordingFileSystemTests
{
    [Fact]
    public void CreateLog_RecordsWhatTheMappingHeldAtEachAppendAndSync()
    {
        using var dir = new TempDir("recording");
        var fs = new RecordingFileSystem(RealFileSystem.Instance);
        string path = dir.Sub("000004.log");
        var records = Enumerable.Range(0, 40).Select(i => Encoding.ASCII.GetBytes($"record {i} " + new string('x', 300 + i))).ToList();
        using (var log = new LogWriter(fs.CreateLog(path, 1 << 20)))
        {
            foreach (var r in records.Take(20)) log.AddRecord(r);
            log.File.Sync();
            foreach (var r in records.Skip(20)) log.AddRecord(r);
            log.File.Flush();
        }
        var ops = fs.Operations;
        Assert.Equal(FsOpKind.Create, ops[0].Kind);
        // The log grows by ftruncate before it stores into new pages, and trims itself when closed.
        Assert.Equal(FsOpKind.SetLength, ops[1].Kind);
        Assert.Equal(4096, ops[1].Length);
        Assert.Equal(File.ReadAllBytes(path).Length, ops[^1].Length);
        int sync = ops.ToList().FindIndex(o => o.Kind == FsOpKind.SyncFile);
        Assert.True(sync > 0, "the fsync is recorded");
        Assert.Contains(ops.Skip(sync), o => o.Kind == FsOpKind.Write);
        // Every write is page-aligned and at most a page: what the kernel writes back.
        Assert.All(ops.Where(o => o.Kind == FsOpKind.Write), o => Assert.True(o.Offset % 4096 == 0 && o.Data.Length <= 4096, o.ToString()));
        // A page is recorded again each time an append changes it: each record shows up on its own.
        Assert.True(ops.Count(o => o.Kind == FsOpKind.Write) >= records.Count, $"{ops.Count(o => o.Kind == FsOpKind.Write)} page writes for {records.Count} records");
        Assert.Equal(File.ReadAllBytes(path), Replay(ops, dir.Path)["000004.log"]);
    }

    [Fact]
    public void Operations_OfADatabaseRun_ReplayToTheFilesOnDisk()
    {
        using var dir = new TempDir("recording");
        var fs = new RecordingFileSystem(RealFileSystem.Instance);
        string db = dir.Sub("db");
        var options = StatesWorkload.Options(fs);
        using (var d = LatticeDb.Open(db, options))
        {
            var cf = d.CreateColumnFamily("other");
            for (int i = 0; i < 600; i++)
            {
                var batch = new WriteBatch();
                batch.Put(Encoding.ASCII.GetBytes($"k{i % 97:D3}"), Encoding.ASCII.GetBytes(new string('v', i % 200)));
                batch.Put(cf, Encoding.ASCII.GetBytes($"k{i % 31:D3}"), Encoding.ASCII.GetBytes(new string('w', i % 150)));
                d.Write(batch, new WriteOptions { Sync = i % 7 == 0 });
            }
        }
        var ops = fs.Operations;
        Assert.Contains(ops, o => o.Kind == FsOpKind.Rename && o.Target!.EndsWith("CURRENT", StringComparison.Ordinal));
        Assert.Contains(ops, o => o.Kind == FsOpKind.Delete && o.Path.EndsWith(".log", StringComparison.Ordinal));
        Assert.Contains(ops, o => o.Kind == FsOpKind.Create && o.Path.EndsWith(".sst", StringComparison.Ordinal));
        Assert.Contains(ops, o => o.Kind == FsOpKind.SyncDirectory);
        // The trace alone rebuilds every file the run left, byte for byte.
        var replayed = Replay(ops, db);
        var onDisk = Directory.GetFiles(db).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(onDisk, replayed.Keys.Order(StringComparer.Ordinal));
        foreach (var name in onDisk) Assert.True(File.ReadAllBytes(Path.Combine(db, name!)).SequenceEqual(replayed[name!]), name);
    }

    [Fact]
    public void CreateWritable_OverARecordedName_EmptiesTheSameFile()
    {
        using var dir = new TempDir("recording");
        var fs = new RecordingFileSystem(RealFileSystem.Instance);
        string path = dir.Sub("000001.dbtmp");
        fs.WriteAllBytesSynced(path, [1, 2, 3]);
        fs.WriteAllBytesSynced(path, [4]);
        fs.RenameFile(path, dir.Sub("CURRENT"));
        fs.SyncDirectory(dir.Path + "/");
        var ops = fs.Operations;
        Assert.Equal([FsOpKind.Create, FsOpKind.Write, FsOpKind.SyncFile, FsOpKind.SetLength, FsOpKind.Write, FsOpKind.SyncFile, FsOpKind.Rename, FsOpKind.SyncDirectory], ops.Select(o => o.Kind));
        Assert.All(ops.Take(7), o => Assert.Equal(ops[0].File, o.File));
        Assert.Equal(dir.Path, ops[^1].Path);
        Assert.Equal([4], Replay(ops, dir.Path)["CURRENT"]);
    }

    /// <summary>Applies every recorded operation in order: the files of <paramref name="directory"/> as the page cache holds them at the end, by name.</summary>
    private static IReadOnlyDictionary<string, byte[]> Replay(IReadOnlyList<FsOp> ops, string directory)
    {
        var trace = new CrashTrace(ops);
        var everything = new CrashChoice(ops.Count, PersistenceModel.Ext4Ordered, ops.Count, trace.Units.Select(u => u.Id).ToHashSet(), new Dictionary<int, int>(), "everything");
        return new CrashStateBuilder(trace, directory).Build(everything).Files;
    }
}
