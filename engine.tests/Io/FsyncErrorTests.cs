using LatticeKV.Io;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Io;

/// <summary>
/// Every fsync error is seen: the real file system's own fsync reports what the kernel returns
/// (RandomAccess.FlushToDisk drops EROFS, EINVAL and ENOTSUP on Unix), and the engine reacts to
/// each errno on each kind of file it syncs. Errnos a healthy machine never returns are
/// injected at the system call (<see cref="SyscallFaults"/>), so the production path runs.
/// </summary>
public class FsyncErrorTests
{
    private const int EIO = 5, EINVAL = 22, ENOSPC = 28, EROFS = 30;

    public enum Target { Log, Table, Manifest, Directory }

    [SkippableFact]
    public void FlushToDisk_DeviceThatCannotSync_ReportsEinvalThatRandomAccessIgnores()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "fdatasync's EINVAL on a character device is Linux behaviour");
        using var handle = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.Write);
        RandomAccess.FlushToDisk(handle); // why the engine calls fdatasync itself: this returns quietly
        var ex = Assert.Throws<LatticeIOException>(() => NativeMethods.FlushToDisk(handle, "/dev/null"));
        Assert.Contains("EINVAL", ex.Message, StringComparison.Ordinal);
        Assert.Equal("/dev/null", ex.FilePath);
        Assert.False(ex.IsDiskFull);
    }

    public static TheoryData<Target, int> Matrix()
    {
        var data = new TheoryData<Target, int>();
        foreach (var target in Enum.GetValues<Target>())
            foreach (int errno in new[] { EIO, EROFS, ENOSPC, EINVAL })
                data.Add(target, errno);
        return data;
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public void FsyncError_OnEachKindOfFile_IsReportedStopsWritesAndLosesNothing(Target target, int errno)
    {
        using var dir = new TempDir("fsync");
        var faults = new SyscallFaults();
        var options = new DbOptions { FileSystem = new RealFileSystem(faults), WriteBufferSize = 64 * 1024 };
        string path = dir.Sub("db");
        int armed = 0;
        faults.Errno = (call, file) => Matches(target, call, file) && Interlocked.Exchange(ref armed, 0) == 1 ? errno : 0;

        var db = LatticeDb.Open(path, options);
        for (int i = 0; i < 200; i++) db.Put(B($"k{i:D4}"), B($"v{i}"));
        db.Put(B("synced"), B("1"), new WriteOptions { Sync = true });
        Volatile.Write(ref armed, 1);

        // The operation that syncs the target fails, and says which errno and file.
        LatticeException failure = target == Target.Log
            ? Assert.Throws<LatticeIOException>(() => db.Put(B("during"), B("2"), new WriteOptions { Sync = true }))
            : Assert.Throws<BackgroundErrorException>(db.Flush);
        Assert.Equal(1, faults.Injected);
        var io = failure as LatticeIOException ?? Assert.IsAssignableFrom<LatticeIOException>(failure.InnerException);
        Assert.Contains(NativeMethods.ErrnoName(errno), io.Message, StringComparison.Ordinal);
        Assert.Equal(errno == ENOSPC, io.IsDiskFull);
        Assert.NotEqual("", db.GetProperty("lattice.background-error"));
        Assert.Equal(1, db.GetStatistics()["background.errors"]);

        // Reads keep working.
        Assert.Equal("v7", S(db.Get(B("k0007"))));
        bool retried = target != Target.Log && errno == ENOSPC;
        if (retried)
        {
            // A full disk during a flush is retried: the table is written again and writes resume.
            Assert.True(SpinWait.SpinUntil(() => TryPut(db), TimeSpan.FromSeconds(30)), "writes did not resume after the retried flush");
            db.Flush();
        }
        else
        {
            // Anything else stops writes until the database is reopened: the kernel may have dropped the pages.
            Assert.Throws<BackgroundErrorException>(() => db.Put(B("after"), B("3")));
        }
        db.Dispose();

        using var reopened = LatticeDb.Open(path, options);
        for (int i = 0; i < 200; i++) Assert.Equal($"v{i}", S(reopened.Get(B($"k{i:D4}"))));
        Assert.Equal("1", S(reopened.Get(B("synced"))));
        reopened.Put(B("later"), B("4"), new WriteOptions { Sync = true });
        reopened.Flush();
        Assert.Equal("4", S(reopened.Get(B("later"))));
    }

    private static bool Matches(Target target, Syscall call, string file) => target switch
    {
        Target.Directory => call == Syscall.DirectorySync,
        Target.Log => call == Syscall.FileSync && file.EndsWith(".log", StringComparison.Ordinal),
        Target.Table => call == Syscall.FileSync && file.EndsWith(".sst", StringComparison.Ordinal),
        Target.Manifest => call == Syscall.FileSync && System.IO.Path.GetFileName(file).StartsWith("MANIFEST-", StringComparison.Ordinal),
        _ => false,
    };

    private static bool TryPut(LatticeDb db)
    {
        try
        {
            db.Put(B("after"), B("3"));
            return true;
        }
        catch (BackgroundErrorException)
        {
            return false;
        }
    }

    [Fact]
    public void Dispose_FinalLogFsyncFails_ThrowsAfterReleasingTheDatabase()
    {
        using var dir = new TempDir("fsync");
        var faults = new SyscallFaults();
        var options = new DbOptions { FileSystem = new RealFileSystem(faults) };
        string path = dir.Sub("db");
        var db = LatticeDb.Open(path, options);
        db.Put(B("unsynced"), B("1"));
        faults.Errno = (call, file) => call == Syscall.FileSync && file.EndsWith(".log", StringComparison.Ordinal) ? EIO : 0;

        var ex = Assert.Throws<LatticeIOException>(db.Dispose);
        Assert.Contains("EIO", ex.Message, StringComparison.Ordinal);
        Assert.Contains("final fsync", ex.Message, StringComparison.Ordinal);
        db.Dispose(); // a second close is a no-op

        faults.Errno = null;
        using var reopened = LatticeDb.Open(path, options); // the lock was released despite the error
        Assert.Equal("1", S(reopened.Get(B("unsynced"))));   // the process did not die: the page cache has it
    }

    [Fact]
    public void LogSync_ThrowsAnExceptionOfAnyKind_StopsLaterWrites()
    {
        var disk = new MemFileSystem();
        var options = MemOptions(disk);
        using var db = LatticeDb.Open(DbPath, options);
        db.Put(B("before"), B("1"), new WriteOptions { Sync = true });
        disk.BeforeSync = file =>
        {
            if (file.EndsWith(".log", StringComparison.Ordinal)) throw new InvalidOperationException("not an I/O exception");
        };
        var ex = Assert.Throws<LatticeIOException>(() => db.Put(B("during"), B("2"), new WriteOptions { Sync = true }));
        Assert.IsType<InvalidOperationException>(ex.InnerException);
        disk.BeforeSync = null;
        Assert.Throws<BackgroundErrorException>(() => db.Put(B("after"), B("3")));
        Assert.Equal("1", S(db.Get(B("before"))));
    }

    [Fact]
    public void ManifestSyncFails_TheFlushOutputSurvives_SoAKillAfterwardsRecoversEverything()
    {
        // The MANIFEST record was written before its fsync failed: after a process kill it is
        // read back and names the flush's table, which therefore must not have been deleted.
        var disk = new MemFileSystem();
        disk.CreateDirectory(DbPath);
        var faults = new FaultInjectionFileSystem(disk, seed: 3);
        var options = new DbOptions { FileSystem = faults };
        var db = LatticeDb.Open(DbPath, options);
        for (int i = 0; i < 300; i++) db.Put(B($"k{i:D4}"), B($"v{i}"));
        faults.Add(new FaultRule(FaultKind.FailSync, DbFileKind.Manifest, times: 1));
        Assert.Throws<BackgroundErrorException>(db.Flush);
        db.Dispose(); // closing purges obsolete files: the table must not count as one
        Assert.Contains(disk.ListFiles(DbPath), n => n.EndsWith(".sst", StringComparison.Ordinal));

        using var recovered = LatticeDb.Open(DbPath, new DbOptions { FileSystem = disk.CrashClone(powerLoss: false), ParanoidChecks = true });
        for (int i = 0; i < 300; i++) Assert.Equal($"v{i}", S(recovered.Get(B($"k{i:D4}"))));
    }
}
