using LatticeKV.Io;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Db;

/// <summary>
/// A small database is small on disk, counted as a user's disk counts it (allocated blocks), while
/// it is open and after it is closed: at most twice its data plus 4 MiB.
/// </summary>
public class FootprintTests
{
    [SkippableTheory]
    [InlineData(0)]
    [InlineData(1_000)]
    [InlineData(10_000)]
    [InlineData(100_000)]
    public void Database_OpenAndClosed_OccupiesAtMostTwiceItsDataPlus4MiB(int keys)
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "allocated blocks are read with Linux's stat layout");
        using var dir = new TempDir("footprint");
        string path = dir.Sub("db");
        var rnd = new Random(keys);
        long logical = 0;
        var value = new byte[100];
        var db = LatticeDb.Open(path); // default options: a 64 MiB write buffer
        try
        {
            for (int i = 0; i < keys; i++)
            {
                var key = B($"key{rnd.Next():D12}");
                rnd.NextBytes(value.AsSpan(0, 50));
                db.Put(key, value);
                logical += key.Length + value.Length;
            }
            long budget = 2 * logical + (4 << 20);
            long open = DiskUsage.AllocatedBytesOfDirectory(path);
            Assert.True(open <= budget, $"{keys} keys ({logical} bytes): {open} bytes allocated while open, budget {budget}");

            db.Flush();
            long flushed = DiskUsage.AllocatedBytesOfDirectory(path);
            Assert.True(flushed <= budget, $"{keys} keys ({logical} bytes): {flushed} bytes allocated after a flush, budget {budget}");
        }
        finally
        {
            db.Dispose();
        }
        long closed = DiskUsage.AllocatedBytesOfDirectory(path);
        Assert.True(closed <= 2 * logical + (4 << 20), $"{keys} keys ({logical} bytes): {closed} bytes allocated after close");
    }

    [SkippableFact]
    public void DiskFullWhenTheLogMustGrow_FailsThatWrite_AndWritesResumeWhenSpaceReturns()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "block reservation (fallocate) is Linux-only");
        using var dir = new TempDir("footprint");
        var faults = new SyscallFaults();
        string path = dir.Sub("db");
        var db = LatticeDb.Open(path, new DbOptions { FileSystem = new RealFileSystem(faults) });
        var value = new byte[1000];
        int acknowledged = 0;
        faults.Errno = (call, _) => call == Syscall.Reserve ? 28 : 0;
        LatticeIOException? full = null;
        for (; acknowledged < 10_000 && full is null; acknowledged++)
        {
            try { db.Put(B($"k{acknowledged:D5}"), value); }
            catch (LatticeIOException ex) { full = ex; }
        }
        Assert.NotNull(full);
        Assert.True(full.IsDiskFull);
        acknowledged--; // the last attempt failed
        Assert.True(acknowledged > 0, "the first page of the log already holds a write");
        Assert.Throws<LatticeIOException>(() => db.Put(B("still-full"), value));

        faults.Errno = null;
        db.Put(B("after"), value, new WriteOptions { Sync = true });
        for (int i = 0; i < acknowledged; i++) Assert.NotNull(db.Get(B($"k{i:D5}")));
        // The failed writes reached no log, so they left their sequence numbers to the next ones:
        // recovery, which reads a gap as lost batches, replays everything.
        Assert.Equal((ulong)acknowledged + 1, db.LatestSequenceNumber);
        db.Dispose();
        using var reopened = LatticeDb.Open(path, new DbOptions { FileSystem = new RealFileSystem(faults) });
        for (int i = 0; i < acknowledged; i++) Assert.NotNull(reopened.Get(B($"k{i:D5}")));
        Assert.NotNull(reopened.Get(B("after")));
    }
}
