using LatticeKV.Backup;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Backup.BackupSupport;

namespace LatticeKV.Tests.Backup;

/// <summary>
/// A backup held to <see cref="BackupOptions.BytesPerSecond"/> (<see cref="BackupPacer"/>) is the
/// same whole, verified backup; a cancelled one stops waiting; negative rates, there and in
/// <see cref="AutoBackupOptions.BytesPerSecond"/>, are refused.
/// </summary>
public sealed class BackupPacingTests
{
    [Fact]
    public void CreateBackup_WithARateLimit_StoresTheSameWholeBackup()
    {
        using var dir = new TempDir("bk-paced");
        SortedDictionary<string, string> expected;
        BackupInfo info;
        using (var db = LatticeDb.Open(dir.Sub("db"), Small()))
        {
            Fill(db, 0, 5000, "a");
            db.Flush();
            Fill(db, 5000, 5200, "in-log");
            expected = ReadAll(db);
            using var backups = BackupEngine.Open(dir.Sub("backups"), new BackupOptions { BytesPerSecond = 256L << 20 });
            info = backups.CreateBackup(db);
        }
        using var check = BackupEngine.Open(dir.Sub("backups"));
        check.VerifyBackup(info.Id);
        Assert.Equal(info.Size, info.NewBytes);
        check.RestoreBackup(info.Id, dir.Sub("restored"));
        AssertSame(expected, ReadAll(dir.Sub("restored")), "paced backup");
    }

    [Fact]
    public void CreateBackup_CancelledWhileWaitingForTheRate_StopsAndCommitsNothing()
    {
        using var dir = new TempDir("bk-paced");
        using var db = LatticeDb.Open(dir.Sub("db"), Small());
        Fill(db, 0, 5000, "a");
        db.Flush();
        using var cancel = new CancellationTokenSource();
        // One byte a second: the first chunk alone would wait for days unless cancelling ends the wait.
        using var backups = BackupEngine.Open(dir.Sub("backups"), new BackupOptions { BytesPerSecond = 1, Progress = p => { if (p.BytesDone > 0) cancel.Cancel(); } });

        Assert.ThrowsAny<OperationCanceledException>(() => backups.CreateBackup(db, null, cancel.Token));

        Assert.Empty(backups.ListBackups());
    }

    [Fact]
    public void Pacer_WithNoLimit_IsNone_AndACancelledOneNeverWaits()
    {
        Assert.Null(BackupPacer.For(0, CancellationToken.None));
        var pacer = BackupPacer.For(1, new CancellationToken(canceled: true));
        Assert.NotNull(pacer);
        pacer.Copied(1 << 20); // would wait about twelve days if the cancelled token did not end it
    }

    [Fact]
    public void Pacer_FarBehindAVeryLowRate_WaitsUntilCancelled_WithoutThrowing()
    {
        // A terabyte at one byte a second is far past what one wait on a handle may last.
        using var cancel = new CancellationTokenSource();
        var pacer = BackupPacer.For(1, cancel.Token)!;
        cancel.CancelAfter(TimeSpan.FromMilliseconds(50));

        var ex = Record.Exception(() => pacer.Copied(1L << 40));

        Assert.Null(ex);
        Assert.True(cancel.IsCancellationRequested);
    }

    [Fact]
    public void BackupEngineOpen_WithANegativeRate_IsRefused()
    {
        using var dir = new TempDir("bk-paced");

        var ex = Assert.Throws<InvalidArgumentException>(() => BackupEngine.Open(dir.Sub("backups"), new BackupOptions { BytesPerSecond = -1 }));

        Assert.Contains("BytesPerSecond", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_WithANegativeAutoBackupRate_IsRefused()
    {
        using var dir = new TempDir("bk-paced");
        var options = Small();
        options.AutoBackup = new AutoBackupOptions { Directory = dir.Sub("backups"), BytesPerSecond = -1 };

        var ex = Assert.Throws<InvalidArgumentException>(() => LatticeDb.Open(dir.Sub("db"), options));

        Assert.Contains("BytesPerSecond", ex.Message, StringComparison.Ordinal);
    }
}
