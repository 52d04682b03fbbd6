using LatticeKV.Io;
using LatticeKV.Wal;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Db;

/// <summary>
/// Sequence numbers in the logs are contiguous (database format 3), so recovery reads a gap
/// between batches as batches lost in a power loss and keeps one point in time: nothing after it.
/// A write that failed before reaching the log leaves its numbers to the next one.
/// </summary>
public class LogSequenceGapTests
{
    [Theory]
    [InlineData(WalRecoveryMode.TolerateCorruptedTailRecords, false)]
    [InlineData(WalRecoveryMode.PointInTimeRecovery, false)]
    [InlineData(WalRecoveryMode.SkipAnyCorruptedRecords, true)]
    public void Open_LaterLogAfterAGap_IsNotReplayed(WalRecoveryMode mode, bool replayed)
    {
        var (fs, number) = DatabaseWithOneBatch();
        WriteLog(fs, number, sequence: 3, "c"); // batch 2 was lost
        using var reopened = LatticeDb.Open(DbPath, MemOptions(fs, o => o.WalRecoveryMode = mode));
        Assert.Equal("1", S(reopened.Get(B("a"))));
        Assert.Equal(replayed, reopened.Get(B("c")) is not null);
    }

    [Fact]
    public void Open_GapWithAbsoluteConsistency_ThrowsNamingTheLog()
    {
        var (fs, number) = DatabaseWithOneBatch();
        WriteLog(fs, number, sequence: 5, "c");
        var ex = Assert.Throws<CorruptionException>(() => LatticeDb.Open(DbPath, MemOptions(fs, o => o.WalRecoveryMode = WalRecoveryMode.AbsoluteConsistency)));
        Assert.EndsWith(FileNames.LogName(number), ex.FilePath);
        Assert.Contains("2..4", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_ContiguousLaterLog_IsReplayed()
    {
        var (fs, number) = DatabaseWithOneBatch();
        WriteLog(fs, number, sequence: 2, "b");
        using var reopened = LatticeDb.Open(DbPath, MemOptions(fs));
        Assert.Equal("v", S(reopened.Get(B("b"))));
        Assert.Equal(2UL, reopened.LatestSequenceNumber);
    }

    /// <summary>A closed database holding "a" = "1" at sequence 1 in its log, and the number a later log gets.</summary>
    private static (MemFileSystem Fs, long NextLog) DatabaseWithOneBatch()
    {
        var fs = new MemFileSystem();
        using (var db = LatticeDb.Open(DbPath, MemOptions(fs))) db.Put(B("a"), B("1"));
        return (fs, fs.ListFiles(DbPath).Select(n => FileNames.Parse(n, out long x) == DbFileKind.Log ? x : 0).Max() + 1);
    }

    private static void WriteLog(MemFileSystem fs, long number, ulong sequence, string key)
    {
        var batch = new WriteBatch();
        batch.Put(B(key), B("v"));
        batch.SetHeader(sequence, 0);
        using var log = new LogWriter(fs.CreateWritable(FileNames.Log(DbPath, number)));
        log.AddRecord(batch.Rep);
        log.File.Sync();
    }
}
