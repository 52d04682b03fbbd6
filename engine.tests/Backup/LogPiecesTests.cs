using LatticeKV.Backup;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Backup.BackupSupport;

namespace LatticeKV.Tests.Backup;

/// <summary>
/// Live logs stored as pieces shared between backups (<see cref="LogPieces"/>, descriptor format 2):
/// each backup stores only what the log gained, restores and verifies concatenate the pieces,
/// pieces live while a backup needs them, and damage to one is found and named.
/// </summary>
public sealed class LogPiecesTests
{
    // A write buffer no test fills: every write stays in the one log.
    private static DbOptions Unflushed() => new() { WriteBufferSize = 64 << 20 };

    private static BackupDescriptor Descriptor(string root, int id) => BackupCatalog.Read(new FileSystemBackupStorage(root), id);

    private static BackupFileEntry LogOf(BackupDescriptor d) => Assert.Single(d.Files, f => f.Kind == "log" && f.Size > 0);

    private static string[] Pieces(string root) => Directory.GetFiles(Path.Combine(root, "shared"), "*" + LogPieceName.Extension);

    /// <summary>Three backups of one growing log; returns each backup's model state, by id.</summary>
    private static Dictionary<int, SortedDictionary<string, string>> ThreeBackups(TempDir dir, BackupEngine backups, List<BackupInfo>? infos = null)
    {
        var states = new Dictionary<int, SortedDictionary<string, string>>();
        using var db = LatticeDb.Open(dir.Sub("db"), Unflushed());
        for (int round = 0; round < 3; round++)
        {
            Fill(db, round * 1000, round * 1000 + 1000, "r" + round);
            var info = backups.CreateBackup(db);
            infos?.Add(info);
            states[info.Id] = ReadAll(db);
        }
        Fill(db, 5000, 5100, "after");
        return states;
    }

    [Fact]
    public void CreateBackup_LogGrowsBetweenBackups_StoresOnlyWhatItGained()
    {
        using var dir = new TempDir("pieces");
        string root = dir.Sub("backups");
        using var backups = BackupEngine.Open(root);
        var infos = new List<BackupInfo>();
        var states = ThreeBackups(dir, backups, infos);

        var logs = infos.Select(i => LogOf(Descriptor(root, i.Id))).ToList();
        Assert.Equal([1, 2, 3], logs.Select(l => l.Parts.Count));
        for (int i = 1; i < 3; i++)
        {
            // The earlier pieces are the earlier backup's, unchanged; the new one starts where they end.
            Assert.Equal(logs[i - 1].Parts, logs[i].Parts.Take(i));
            Assert.Equal(logs[i - 1].Size, logs[i].Parts[^1].Offset);
            long gained = logs[i].Size - logs[i - 1].Size;
            // Storing the log whole would add at least its size.
            Assert.True(infos[i].NewBytes < logs[i].Size, $"backup {infos[i].Id} added {infos[i].NewBytes} bytes for a log of {logs[i].Size}");
            Assert.Equal(gained, infos[i].NewLogBytes);
        }
        Assert.Equal(3, Pieces(root).Length);
        foreach (var (id, state) in states)
        {
            backups.VerifyBackup(id);
            backups.RestoreBackup(id, dir.Sub("r" + id));
            AssertSame(state, ReadAll(dir.Sub("r" + id)), $"backup {id}");
        }
    }

    [Fact]
    public void CreateBackup_SameOpenDatabase_ResumesThePrefixHashInsteadOfReadingIt()
    {
        using var dir = new TempDir("pieces");
        string root = dir.Sub("backups");
        using var backups = BackupEngine.Open(root);
        var infos = new List<BackupInfo>();
        var states = ThreeBackups(dir, backups, infos);
        // The database that stored each prefix hashed it then: later backups read none of it again.
        Assert.Equal([0L, 0L, 0L], infos.Select(i => i.LogPrefixBytesRead));
        Assert.Equal(3, LogOf(Descriptor(root, 3)).Parts.Count);

        // Reopened, the database is a new instance that has hashed nothing: it reads the prefix to check it.
        using (var db = LatticeDb.Open(dir.Sub("db"), Unflushed()))
        {
            Fill(db, 6000, 6100, "reopened");
            var info = backups.CreateBackup(db);
            var logs = Descriptor(root, info.Id).Files.Where(f => f.Kind == "log" && f.Size > 0).ToList();
            Assert.True(info.LogPrefixBytesRead > 0 || logs.All(l => l.Parts.Count == 1), "a prefix was extended without being read");
            backups.VerifyBackup(info.Id);
            backups.RestoreBackup(info.Id, dir.Sub("r-reopened"));
            AssertSame(ReadAll(db), ReadAll(dir.Sub("r-reopened")), "backup after reopening");
        }
        foreach (var (id, state) in states)
        {
            backups.RestoreBackup(id, dir.Sub("r" + id));
            AssertSame(state, ReadAll(dir.Sub("r" + id)), $"backup {id}");
        }
    }

    [Fact]
    public void RestoreBackup_LogInThreePieces_GivesExactlyTheAcknowledgedWrites()
    {
        using var dir = new TempDir("pieces");
        string root = dir.Sub("backups");
        using var backups = BackupEngine.Open(root);
        var states = ThreeBackups(dir, backups);
        Assert.Equal(3, LogOf(Descriptor(root, 3)).Parts.Count);
        backups.RestoreBackup(3, dir.Sub("r3"));
        AssertSame(states[3], ReadAll(dir.Sub("r3")), "backup 3 from three pieces");
        Assert.Equal(3000, states[3].Count);
        ulong sequence = backups.ListBackups().Single(b => b.Id == 3).Sequence;
        AssertRestoresToSequence(root, dir.Sub("seq"), sequence, states[3], "restored to backup 3's sequence");
    }

    [Fact]
    public void DeleteBackup_EarlierBackupsGone_PiecesKeptWhileABackupNeedsThem()
    {
        using var dir = new TempDir("pieces");
        string root = dir.Sub("backups");
        using var backups = BackupEngine.Open(root);
        var states = ThreeBackups(dir, backups);
        backups.DeleteBackup(1);
        Assert.Equal([2], backups.PurgeOldBackups(1));
        Assert.Equal(3, Pieces(root).Length);
        backups.VerifyBackup(3);
        backups.RestoreBackup(3, dir.Sub("r3"));
        AssertSame(states[3], ReadAll(dir.Sub("r3")), "backup 3 after 1 and 2 were deleted");
        backups.DeleteBackup(3);
        Assert.Empty(Pieces(root));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void VerifyBackup_PieceDamagedOrMissing_NamesItAndRestoreLatestSkipsTheBackup(bool missing)
    {
        using var dir = new TempDir("pieces");
        string root = dir.Sub("backups");
        using var backups = BackupEngine.Open(root);
        var states = ThreeBackups(dir, backups);
        // The second piece: backups 2 and 3 need it, backup 1 does not.
        string piece = Path.Combine(root, LogOf(Descriptor(root, 2)).Parts[1].Path);
        if (missing) File.Delete(piece);
        else
        {
            var bytes = File.ReadAllBytes(piece);
            bytes[bytes.Length / 2] ^= 0x10;
            File.WriteAllBytes(piece, bytes);
        }
        foreach (int id in new[] { 2, 3 })
        {
            var ex = Assert.Throws<CorruptionException>(() => backups.VerifyBackup(id, checksums: missing ? false : true));
            Assert.Contains(Path.GetFileName(piece), ex.Message, StringComparison.Ordinal);
            Assert.EndsWith(Path.GetFileName(piece), ex.FilePath, StringComparison.Ordinal);
            Assert.Throws<CorruptionException>(() => backups.RestoreBackup(id, dir.Sub("r" + id)));
            Assert.False(Directory.Exists(dir.Sub("r" + id)));
        }
        backups.VerifyBackup(1);
        Assert.Equal(1, backups.RestoreLatestBackup(dir.Sub("latest")).Id);
        AssertSame(states[1], ReadAll(dir.Sub("latest")), "the newest backup that verifies");
    }

    [Fact]
    public void CreateBackup_LiveLogNoLongerMatchesTheStoredPrefix_StoresItWhole()
    {
        using var dir = new TempDir("pieces");
        string root = dir.Sub("backups");
        using var backups = BackupEngine.Open(root);
        using var db = LatticeDb.Open(dir.Sub("db"), Unflushed());
        Fill(db, 0, 1000, "a");
        backups.CreateBackup(db);
        // Backup 1 now claims other bytes for the log's prefix than the live log holds.
        var first = Descriptor(root, 1);
        var files = first.Files.Select(f => f.Pieces is null ? f : f with { Checksum = ~f.Checksum }).ToList();
        File.WriteAllBytes(Path.Combine(root, BackupDescriptor.PathOf(1)), (first with { Files = files }).Encode());
        Fill(db, 1000, 1100, "b");
        var second = backups.CreateBackup(db);
        var log = LogOf(Descriptor(root, second.Id));
        var piece = Assert.Single(log.Parts);
        Assert.Equal((0L, log.Size), (piece.Offset, piece.Size));
        Assert.True(second.LogBytesRecopied > 0, "the prefix was not found to differ");
        backups.VerifyBackup(second.Id);
        backups.RestoreBackup(second.Id, dir.Sub("r2"));
        AssertSame(ReadAll(db), ReadAll(dir.Sub("r2")), "backup 2, its log stored whole");
    }

    [Theory]
    [InlineData(".logpiece", "AfterRename")] // killed once a new piece is stored, before the descriptor
    [InlineData(".logpiece.tmp-", "InCopy")] // killed while the piece was being copied
    [InlineData("meta/", "BeforeRename")] // killed at the descriptor's rename
    public void CreateBackup_InterruptedMidway_EarlierBackupsIntactAndGarbageCollectRemovesOrphans(string dieAt, string moment)
    {
        using var dir = new TempDir("pieces");
        string root = dir.Sub("backups");
        SortedDictionary<string, string> atFirst, atLast;
        int piecesBefore;
        using (var db = LatticeDb.Open(dir.Sub("db"), Unflushed()))
        {
            using (var backups = BackupEngine.Open(root))
            {
                Fill(db, 0, 1000, "a");
                backups.CreateBackup(db);
                atFirst = ReadAll(db);
            }
            piecesBefore = Pieces(root).Length;
            Fill(db, 1000, 2000, "b");
            var dying = new DyingStorage(new FileSystemBackupStorage(root), dieAt, Enum.Parse<DyingStorage.Moment>(moment));
            using (var backups = BackupEngine.Open(dying))
                Assert.Throws<ProcessDiedException>(() => backups.CreateBackup(db));
            Assert.True(dying.Died, "the run never reached " + dieAt);
            using (var backups = BackupEngine.Open(root))
            {
                Assert.Equal([1], backups.ListBackups().Select(b => b.Id));
                backups.VerifyBackup(1);
                Assert.True(Directory.GetFiles(Path.Combine(root, "shared")).Length > piecesBefore, "the interrupted run left nothing to collect");
                Assert.True(backups.GarbageCollect() > 0);
                Assert.Equal(piecesBefore, Pieces(root).Length);
                Assert.Empty(Directory.GetFiles(Path.Combine(root, "shared"), "*.tmp-*"));
                backups.VerifyBackup(1);
                backups.RestoreBackup(1, dir.Sub("r1"));
                AssertSame(atFirst, ReadAll(dir.Sub("r1")), "backup 1 after the interrupted run");
                var next = backups.CreateBackup(db);
                atLast = ReadAll(db);
                backups.VerifyBackup(next.Id);
                backups.RestoreBackup(next.Id, dir.Sub("r-next"));
            }
        }
        AssertSame(atLast, ReadAll(dir.Sub("r-next")), "the backup after the interrupted one");
    }

    [Fact]
    public void RestoreBackup_FormatOneBackup_IsStillReadAndExtendedFromScratch()
    {
        using var dir = new TempDir("pieces");
        string root = dir.Sub("backups");
        SortedDictionary<string, string> atFirst, atSecond;
        using (var db = LatticeDb.Open(dir.Sub("db"), Unflushed()))
        {
            using (var backups = BackupEngine.Open(root))
            {
                Fill(db, 0, 1000, "a");
                backups.CreateBackup(db);
                atFirst = ReadAll(db);
            }
            FormatOneBackups.Rewrite(root, 1);
            Assert.Empty(Pieces(root));
            using (var backups = BackupEngine.Open(root))
            {
                backups.VerifyBackup(1);
                Fill(db, 1000, 1100, "b");
                var second = backups.CreateBackup(db);
                atSecond = ReadAll(db);
                // A log stored whole in a private folder is not extended: it goes when its backup does.
                Assert.Equal(0, Assert.Single(LogOf(Descriptor(root, second.Id)).Parts).Offset);
                backups.RestoreBackup(1, dir.Sub("r1"));
                backups.DeleteBackup(1);
                backups.RestoreBackup(second.Id, dir.Sub("r2"));
            }
        }
        AssertSame(atFirst, ReadAll(dir.Sub("r1")), "the format 1 backup");
        AssertSame(atSecond, ReadAll(dir.Sub("r2")), "the format 2 backup after it");
    }

    internal sealed class ProcessDiedException() : Exception("the process died here");

    /// <summary>Stops a run where a kill would: at the first file whose path contains <c>dieAt</c>, at <c>moment</c>; nothing after runs.</summary>
    internal sealed class DyingStorage(IBackupStorage inner, string dieAt, DyingStorage.Moment moment) : ForwardingBackupStorage(inner)
    {
        public enum Moment { BeforeRename, AfterRename, InCopy }

        public bool Died { get; private set; }

        public override void Rename(string from, string to)
        {
            bool here = moment != Moment.InCopy && !Died && to.Contains(dieAt, StringComparison.Ordinal);
            if (here && moment == Moment.BeforeRename) Die();
            base.Rename(from, to);
            if (here) Die();
        }

        public override IBackupFileWriter Create(string path)
            => moment == Moment.InCopy && !Died && path.Contains(dieAt, StringComparison.Ordinal) ? new HalfWriter(base.Create(path), this) : base.Create(path);

        private void Die()
        {
            Died = true;
            throw new ProcessDiedException();
        }

        private sealed class HalfWriter(IBackupFileWriter inner, DyingStorage owner) : IBackupFileWriter
        {
            public void Write(ReadOnlySpan<byte> data)
            {
                inner.Write(data[..(data.Length / 2)]);
                owner.Die();
            }

            public void Commit() => owner.Die();

            public void Dispose() => inner.Dispose();
        }
    }
}
