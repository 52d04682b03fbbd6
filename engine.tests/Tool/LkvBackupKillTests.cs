using LatticeKV.Tests.Support;
using Xunit.Abstractions;
using static LatticeKV.Tests.Tool.BackupKillFixture;

namespace LatticeKV.Tests.Tool;

/// <summary>
/// kill -9 during <c>lkv backup create</c>, <c>purge</c>, <c>gc</c> and <c>restore</c>, on a
/// database of a few MB: earlier backups stay intact (they verify with checksums and restore to
/// exactly their data), the interrupted backup is whole or not listed at all, garbage collection
/// then leaves no file that no backup needs, and the database restored into is never half
/// written. Each test first lets one run finish to measure how long the work takes, then kills
/// runs at random points of it (<see cref="KillAtRandom"/>); LKV_LONG=1 kills ten times as often.
/// </summary>
public sealed class LkvBackupKillTests(ITestOutputHelper output)
{
    private static int Kills => 3 * TestSeed.Scale;

    private BackupKillFixture Fixture(string name, int fallbackSeed)
    {
        int seed = TestSeed.Get(fallbackSeed);
        output.WriteLine($"seed {seed} (LKV_SEED={seed} replays the same changes and delays; where a kill lands still varies)");
        return new BackupKillFixture(name, seed);
    }

    private static int Count(string folder) => Directory.Exists(folder) ? Directory.EnumerateFileSystemEntries(folder).Count() : 0;

    [Fact]
    public void Create_Killed_EarlierBackupsIntact_InterruptedOneWholeOrInvisible_DatabaseUntouched()
    {
        using var f = Fixture("kill-create", 1881);
        f.ChangeAndBackUp(300);
        f.ChangeAndBackUp(300);
        double window = 0;
        int committedByKilled = 0, invisible = 0;
        for (int i = 0; i <= Kills; i++)
        {
            var state = f.Change(400);
            int next = f.NextId();
            var dbBefore = DirectoryFingerprint.Of(f.Db);
            string[] args = ["backup", "create", f.Db, f.Backups];
            // The first file the backup writes: a table's copy in shared/, or its private folder when every table is stored already.
            int sharedBefore = Count(f.PathIn("shared"));
            bool Started() => Directory.Exists(f.PathIn("private", Text(next))) || Count(f.PathIn("shared")) != sharedBefore;
            var outcome = i == 0 ? KillAtRandom.Calibrate(args, Started) : KillAtRandom.Run(args, Started, window, f.Rng);
            output.WriteLine($"create {i} (backup {next}): {outcome}");
            if (i == 0) window = Math.Max(1, outcome.RanMs);
            if (!outcome.Killed) Assert.True(outcome.ExitCode == 0, outcome.Stderr);

            var listed = f.ListIds();
            bool committed = listed.Contains(next);
            Assert.True(committed || outcome.Killed, "a finished create committed its backup");
            Assert.Equal(f.Expected.Keys.Concat(committed ? [next] : []), listed);
            if (committed) f.Expected[next] = state;
            if (outcome.Killed && committed) committedByKilled++;
            else if (outcome.Killed) invisible++;
            f.CheckBackups($"create {i}");
            Assert.Equal(dbBefore, DirectoryFingerprint.Of(f.Db));
            // Leftovers are sometimes left for the next create, which collects them itself first.
            if (i == Kills || f.Rng.Next(2) == 0) f.CheckCollected($"create {i}");
        }
        output.WriteLine($"killed runs: {committedByKilled} had committed their backup, {invisible} left none");
    }

    [Fact]
    public void Purge_Killed_KeptBackupsIntact_EveryListedBackupWhole()
    {
        using var f = Fixture("kill-purge", 1882);
        double window = 0;
        for (int i = 0; i <= Kills; i++)
        {
            for (int b = 0; b < 3; b++) f.ChangeAndBackUp(200);
            var before = f.ListIds();
            var keep = before.TakeLast(2).ToList();
            string firstDoomed = f.PathIn("meta", Text(before[0]));
            string[] args = ["backup", "purge", f.Backups, "--keep", "2"];
            bool Started() => !File.Exists(firstDoomed);
            var outcome = i == 0 ? KillAtRandom.Calibrate(args, Started) : KillAtRandom.Run(args, Started, window, f.Rng);
            output.WriteLine($"purge {i} of [{string.Join(",", before)}]: {outcome}");
            if (i == 0) window = Math.Max(1, outcome.RanMs);
            if (!outcome.Killed) Assert.True(outcome.ExitCode == 0, outcome.Stderr);

            var listed = f.ListIds();
            output.WriteLine($"  listed after: [{string.Join(",", listed)}]");
            // Backups are deleted oldest first, each whole: what is left is the newest of them, the kept ones included.
            Assert.Equal(before.Skip(before.Count - listed.Count), listed);
            Assert.Subset(listed.ToHashSet(), keep.ToHashSet());
            if (!outcome.Killed) Assert.Equal(keep, listed);
            foreach (int gone in before.Except(listed)) f.Expected.Remove(gone);
            f.CheckBackups($"purge {i}");
            f.CheckCollected($"purge {i}");
        }
    }

    [Fact]
    public void GarbageCollect_Killed_NoCommittedBackupTouched()
    {
        using var f = Fixture("kill-gc", 1883);
        double window = 0;
        var junk = new byte[256 << 10];
        for (int i = 0; i <= Kills; i++)
        {
            for (int b = 0; b < 3; b++) f.ChangeAndBackUp(200);
            // What a purge killed after removing two descriptors leaves ...
            foreach (int doomed in f.Expected.Keys.Take(2).ToList())
            {
                File.Delete(f.PathIn("meta", Text(doomed)));
                f.Expected.Remove(doomed);
            }
            // ... and what a create killed before its descriptor was renamed leaves.
            int next = f.NextId();
            f.Rng.NextBytes(junk);
            File.WriteAllBytes(f.PathIn("meta", Text(next) + ".tmp"), junk[..100]);
            File.WriteAllBytes(f.PathIn("shared", $"x-{Text(next)}.sst.tmp-{Text(next)}"), junk);
            Directory.CreateDirectory(f.PathIn("private", Text(next)));
            File.WriteAllBytes(f.PathIn("private", Text(next), "000001.log"), junk);
            string firstGarbage = f.PathIn("meta", Text(next) + ".tmp");
            string[] args = ["backup", "gc", f.Backups];
            bool Started() => !File.Exists(firstGarbage);
            var outcome = i == 0 ? KillAtRandom.Calibrate(args, Started) : KillAtRandom.Run(args, Started, window, f.Rng);
            output.WriteLine($"gc {i}: {outcome}");
            if (i == 0) window = Math.Max(1, outcome.RanMs);
            if (!outcome.Killed)
            {
                Assert.True(outcome.ExitCode == 0, outcome.Stderr);
                Assert.Empty(BackupToolSupport.UnreferencedFiles(f.Backups));
            }

            Assert.Equal(f.Expected.Keys, f.ListIds());
            f.CheckBackups($"gc {i}");
            f.CheckCollected($"gc {i}");
        }
    }

    [Fact]
    public void Restore_Killed_TargetAbsentOrWhole_NeverHalfWritten_LaterRestoreGoesThrough()
    {
        using var f = Fixture("kill-restore", 1884);
        for (int b = 0; b < 3; b++) f.ChangeAndBackUp(500);
        var backupsBefore = DirectoryFingerprint.Of(f.Backups);
        var ids = f.Expected.Keys.ToList();
        double window = 0;
        int whole = 0, absent = 0, leftovers = 0;
        for (int i = 0; i <= Kills; i++)
        {
            int id = ids[f.Rng.Next(ids.Count)];
            // Each restore in its own parent, so that the temporary sibling it builds is the only other entry there.
            string parent = f.Sub("restore-" + Text(i)), target = Path.Combine(parent, "db");
            Directory.CreateDirectory(parent);
            bool wasEmptyDirectory = f.Rng.Next(2) == 0;
            if (wasEmptyDirectory) Directory.CreateDirectory(target);
            string[] args = ["backup", "restore", f.Backups, target, "--id", Text(id)];
            // Anything written under the parent: the temporary sibling, or (were the restore to write in place) the target's first file.
            bool Started() => Directory.EnumerateFileSystemEntries(parent).Count() > (wasEmptyDirectory ? 1 : 0) || wasEmptyDirectory && Directory.EnumerateFileSystemEntries(target).Any();
            var outcome = i == 0 ? KillAtRandom.Calibrate(args, Started) : KillAtRandom.Run(args, Started, window, f.Rng);
            output.WriteLine($"restore {i} of backup {id} into {(wasEmptyDirectory ? "an empty directory" : "a new directory")}: {outcome}");
            if (i == 0) window = Math.Max(1, outcome.RanMs);
            if (!outcome.Killed) Assert.True(outcome.ExitCode == 0, outcome.Stderr);

            bool restored = Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any();
            if (restored)
            {
                // Whatever is there is the whole backup.
                Assert.True(f.Expected[id].AsSpan().SequenceEqual(StateOf(target)), $"restore {i}: the target holds a different state than backup {id}");
                whole++;
            }
            else
            {
                Assert.True(outcome.Killed, "a finished restore left no database");
                // Absent, or the empty directory it was: nothing half written.
                Assert.True(!Directory.Exists(target) || wasEmptyDirectory, $"restore {i}: the target appeared empty though it did not exist");
                absent++;
                int siblings = Directory.EnumerateDirectories(parent, "db.restore-tmp-*").Count();
                leftovers += siblings;
                // The killed run's temporary sibling stands in no one's way, and the next restore of the same target removes it.
                BackupToolSupport.Ok(args);
                Assert.True(f.Expected[id].AsSpan().SequenceEqual(StateOf(target)), $"restore {i}: the restore after the killed one differs from backup {id}");
                Assert.Empty(Directory.EnumerateDirectories(parent, "db.restore-tmp-*"));
            }
        }
        output.WriteLine($"targets whole: {whole}; absent or empty, then restored again: {absent}; temporary siblings left: {leftovers}");
        // Restores only read the backups, killed or not: garbage collection finds nothing, and every backup is as it was.
        Assert.Equal(0, BackupToolSupport.Json("backup", "gc", f.Backups).GetProperty("files_removed").GetInt32());
        Assert.Equal(backupsBefore, DirectoryFingerprint.Of(f.Backups));
        f.CheckBackups("after the restores");
    }
}
