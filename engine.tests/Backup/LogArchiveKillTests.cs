using LatticeKV.Tests.Support;
using LatticeKV.Tool.Crash;
using Xunit.Abstractions;
using static LatticeKV.Tests.Backup.BackupSupport;

namespace LatticeKV.Tests.Backup;

/// <summary>
/// kill -9 of a database archiving its logs (lkv archive-child): every archived log under its
/// final name is whole, an interrupted archive is only a temporary file (removed when the
/// database reopens, which archives that log again), and a point-in-time restore to the last
/// write gives the reopened database's exact contents.
/// </summary>
public sealed class LogArchiveKillTests(ITestOutputHelper output)
{
    [SkippableTheory]
    [InlineData(2, false)] // between a linked archive's temporary and its rename
    [InlineData(3, true)]  // the same for a copied archive
    [InlineData(0, false)] // at a random write
    public void ArchiveChild_Killed_LeavesEveryArchiveWholeOrOnlyATemporary(int dieAtArchive, bool copy)
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the child is killed with SIGKILL");
        using var dir = new TempDir("archive-kill");
        string path = dir.Sub("db"), root = dir.Sub("backups");
        string[] args = ["archive-child", path, root, "--die-at-archive", Text(dieAtArchive), .. copy ? new[] { "--copy" } : []];
        if (dieAtArchive > 0)
        {
            var run = Lkv.Run(args, timeout: TimeSpan.FromMinutes(2));
            Assert.True(run.ExitCode == 137, "the child was not killed at its archive: " + run);
            Assert.Equal(dieAtArchive, run.Stdout.Split('\n').Count(l => l == "A"));
        }
        else
        {
            int seed = TestSeed.Get(7517);
            int target = new Random(seed).Next(5, 80);
            output.WriteLine($"seed {seed} (LKV_SEED replays): killed after {target} W lines");
            KilledChild.RunUntil(args, line => line.StartsWith("W ", StringComparison.Ordinal), target);
        }

        string archive = Path.Combine(root, "archive");
        var whole = Directory.GetFiles(archive, "*.log", SearchOption.AllDirectories);
        foreach (var log in whole) AssertWholeLog(log);
        var temporaries = Directory.GetFiles(archive, "*.tmp-*", SearchOption.AllDirectories);
        if (dieAtArchive > 0)
        {
            Assert.Equal(dieAtArchive - 1, whole.Length);
            var interrupted = Assert.Single(temporaries);
            string name = Path.GetFileName(interrupted);
            Assert.DoesNotContain(whole, w => Path.GetFileName(w) == name[..name.IndexOf(".tmp-", StringComparison.Ordinal)]);
        }
        AssertReopenRemovesTemporariesAndRestores(dir, path, root, copy);
    }

    /// <summary>
    /// Killed once a log is archived under its final name and before the database deletes it: the
    /// reopened database archives that log again. Linked, the new temporary is a second link to the
    /// very file the archive already holds, and renaming one link of a file over another does
    /// nothing (rename(2)): the temporary stayed beside the archive until the next open.
    /// </summary>
    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void ArchiveChild_KilledBetweenArchiveAndLogDeletion_ReopenLeavesNoTemporary(bool copy)
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the child is killed with SIGKILL; file identity is read with Linux's stat layout");
        using var dir = new TempDir("archive-kill");
        string path = dir.Sub("db"), root = dir.Sub("backups");
        string[] args = ["archive-child", path, root, "--die-after-archive", "2", .. copy ? new[] { "--copy" } : []];
        var run = Lkv.Run(args, timeout: TimeSpan.FromMinutes(2));
        Assert.True(run.ExitCode == 137, "the child was not killed after its archive: " + run);

        // The second archived log is still the database's, and (linked) the archive's very file.
        var archived = Directory.GetFiles(Path.Combine(root, "archive"), "*.log", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(2, archived.Count);
        string kept = Path.Combine(path, Path.GetFileName(archived[1]));
        Assert.True(File.Exists(kept), $"the database deleted {kept} before the kill");
        Assert.Equal(!copy, FileIdentity.Of(kept) == FileIdentity.Of(archived[1]));
        AssertReopenRemovesTemporariesAndRestores(dir, path, root, copy);
    }

    /// <summary>
    /// Reopened, the archiver removes the temporaries and the log whose archive was cut short (still
    /// the database's: it is deleted only once archived) is archived again; no temporary is left,
    /// and a point-in-time restore to the last write gives the database's contents.
    /// </summary>
    private static void AssertReopenRemovesTemporariesAndRestores(TempDir dir, string path, string root, bool copy)
    {
        string archive = Path.Combine(root, "archive");
        SortedDictionary<string, string> expected;
        ulong last;
        using (var db = LatticeDb.Open(path, ArchiveChild.Options(root, copy)))
        {
            expected = ReadAll(db);
            last = db.LatestSequenceNumber;
            db.Flush();
            var counters = db.AutoBackupService!.Counters;
            Assert.True(counters["logs.archive-failed"] == 0, db.AutoBackupService.LastError);
        }
        Assert.Empty(Directory.GetFiles(archive, "*.tmp-*", SearchOption.AllDirectories));
        foreach (var log in Directory.GetFiles(archive, "*.log", SearchOption.AllDirectories)) AssertWholeLog(log);
        Assert.True(last > 0, "the child wrote nothing");
        AssertRestoresToSequence(root, dir.Sub("pitr"), last, expected, "restored to the last write through the archive");
    }

    private static string Text(int n) => n.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
