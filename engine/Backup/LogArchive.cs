using System.Globalization;
using System.Runtime.CompilerServices;
using LatticeKV.Io;

namespace LatticeKV.Backup;

/// <summary>
/// Archived write-ahead logs (<c>archive/TIMELINE/NUMBER.log</c>, or <c>NUMBER.logpieces</c>
/// naming stored pieces, FORMAT.md §13): each log the database retires, archived (as pieces, linked
/// or copied) before it is deleted, so that the writes between two backups
/// can be replayed (<see cref="BackupEngine.RestoreToPointInTime"/>). Grouped by timeline: a
/// restored copy reuses log numbers, and its logs must never be mistaken for the original's.
/// </summary>
internal static class LogArchive
{
    public const string Folder = "archive";

    public static string FolderOf(string timelineHex) => Folder + "/" + timelineHex;

    public static string PathOf(string timelineHex, long number) => FolderOf(timelineHex) + "/" + FileNames.LogName(number);

    /// <summary>
    /// Archives a retired log (temporary name, commit, rename): as a second name of the log's file
    /// when the store is a directory on the same file system and the file holds exactly its
    /// <paramref name="length"/> bytes of records, a copy of them otherwise. <paramref name="written"/>
    /// is called with the temporary's path once it is complete, before the rename (tests).
    /// Returns whether the log was linked.
    /// </summary>
    public static bool Archive(IBackupStorage storage, string timelineHex, IFileSystem fs, string source, long number, long length, Action<string>? written = null)
    {
        // A temporary name of its own: a second copy of the same log under way never truncates this one.
        string path = PathOf(timelineHex, number);
        string temp = path + ".tmp-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4));
        // The database deletes the log right after: on the same file system a second name is a
        // move, not a copy (no byte written twice). That is safe because a retired log is never
        // written again (file numbers are never reused; the log's file was closed when it was
        // retired). A log longer than its records (a reserved tail a crash left) is copied
        // instead, so the archive holds exactly the records either way.
        bool linked = false;
        Publish(storage, temp, path, written, () =>
        {
            linked = storage is FileSystemBackupStorage local && fs is RealFileSystem && fs.GetFileSize(source) == length && local.TryLinkDurably(source, temp);
            if (!linked) StorageCopy.Upload(fs, source, length, storage, temp, null, CancellationToken.None);
        });
        return linked;
    }

    /// <summary>
    /// Writes an archive under <paramref name="temp"/> (spared by the archiver's cleanup and by
    /// explicit collections while it is written: <see cref="ArchiveTemporaries"/>) and renames it
    /// to <paramref name="path"/>; when anything fails the temporary is removed at once.
    /// </summary>
    private static void Publish(IBackupStorage storage, string temp, string path, Action<string>? written, Action write)
    {
        using var inProgress = ArchiveTemporaries.Register(storage, temp);
        try
        {
            write();
            written?.Invoke(temp);
            storage.Rename(temp, path);
        }
        catch
        {
            RemoveFailedTemporary(storage, temp);
            throw;
        }
    }

    /// <summary>
    /// After an archive failed (a full disk, an I/O error), removes its temporary at once instead
    /// of leaving it to the next open's cleanup or an explicit collection; the archive is retried
    /// under a new temporary name. Best effort: the error that failed the archive is the one reported.
    /// </summary>
    private static void RemoveFailedTemporary(IBackupStorage storage, string temp)
    {
        try { storage.Delete(temp); }
        catch (Exception ex) when (ex is LatticeException or IOException or UnauthorizedAccessException) { }
    }

    /// <summary>
    /// Archives a retired log as pieces (<see cref="ArchivedLogPieces"/>) when a committed backup
    /// of this database already stores a prefix of it that still matches: only the bytes appended
    /// after that backup are copied, and a small list names the pieces. Takes the store's lock,
    /// shared, without waiting (a backup holding it may be waiting for writes that wait for the
    /// caller, a flush): returns null when the lock is busy or no backup holds the log, and the
    /// caller archives it whole. Otherwise returns the bytes stored (the new piece's). Collections,
    /// which take the lock exclusively, cannot remove the pieces meanwhile; once the list is in
    /// place they keep every piece it names (<see cref="PiecesKept"/>).
    /// </summary>
    [MethodImpl(BackupCodegen.FewCallsPerBackup)]
    public static long? ArchiveAsPieces(IBackupStorage storage, string timelineHex, string dbId, IFileSystem fs, string source, long number, long length,
        LogPrefixHashes? known, BackupTally tally, Action<string>? written = null)
    {
        IDisposable held;
        try { held = storage.Lock(exclusive: false, TimeSpan.Zero); }
        catch (DbLockedException) { return null; }
        using (held)
        {
            var copies = LogPieces.Held(BackupCatalog.Load(storage), dbId).GetValueOrDefault(FileNames.LogName(number));
            if (copies is null) return null;
            string tag = "a" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4));
            long stored = 0;
            var entry = LogPieces.Extend(storage, fs, source, number, length, dbId, tag, copies, known, wholeWithoutBasis: false, null, null, ref stored, tally, CancellationToken.None);
            if (entry is null) return null;
            string path = ArchivedLogPieces.PathOf(timelineHex, number);
            string temp = path + ".tmp-" + tag;
            Publish(storage, temp, path, written, () => StorageCopy.UploadBytes(storage, temp, ArchivedLogPieces.Encode(entry)));
            return stored;
        }
    }

    /// <summary>
    /// The pieces the archive lists of <paramref name="backups"/>' timelines name, for the lists a
    /// collection keeps (log number at or past the oldest backup's first log). A list that cannot
    /// be read protects nothing: a restore through it would fail on the list itself.
    /// </summary>
    public static HashSet<string> PiecesKept(IBackupStorage storage, IReadOnlyList<BackupDescriptor> backups)
    {
        var kept = new HashSet<string>(StringComparer.Ordinal);
        foreach (var timeline in storage.ListFolders(Folder))
        {
            long keepFrom = KeepFrom(backups, timeline);
            foreach (var name in storage.ListFiles(FolderOf(timeline)))
            {
                if (!ArchivedLogPieces.TryParseName(name, out long number) || number < keepFrom) continue;
                try { kept.UnionWith(ArchivedLogPieces.Read(storage, FolderOf(timeline) + "/" + name).Parts.Select(p => p.Path)); }
                catch (CorruptionException) { }
            }
        }
        return kept;
    }

    private static long KeepFrom(IReadOnlyList<BackupDescriptor> backups, string timeline)
    {
        long keepFrom = long.MaxValue;
        foreach (var b in backups.Where(b => b.Timeline == timeline))
            keepFrom = Math.Min(keepFrom, FirstLog(b));
        return keepFrom;
    }

    private static bool IsTemporary(string name) => name.Contains(".tmp-", StringComparison.Ordinal);

    /// <summary>Removes the temporary files of archives a killed run of this timeline's database left (one database writes a timeline).</summary>
    public static void RemoveTemporaries(IBackupStorage storage, string timelineHex)
    {
        foreach (var name in storage.ListFiles(FolderOf(timelineHex)))
        {
            string path = FolderOf(timelineHex) + "/" + name;
            if (IsTemporary(name) && !ArchiveTemporaries.IsInProgress(storage, path)) storage.Delete(path);
        }
    }

    /// <summary>
    /// Archived logs of a timeline numbered <paramref name="from"/> or later, by number: a whole log
    /// (checksum 0: its records carry their own) or, archived as pieces, the list's entry; where
    /// both exist (a log archived again after a restart), the whole file. Lists of earlier logs are
    /// not read, so a damaged one that a restore does not need cannot fail it.
    /// </summary>
    public static SortedDictionary<long, BackupFileEntry> List(IBackupStorage storage, string timelineHex, long from = 0)
    {
        var logs = new SortedDictionary<long, BackupFileEntry>();
        foreach (var name in storage.ListFiles(FolderOf(timelineHex)))
        {
            string path = FolderOf(timelineHex) + "/" + name;
            if (FileNames.Parse(name, out long number) == DbFileKind.Log)
            {
                if (number >= from) logs[number] = new BackupFileEntry(name, path, "log", storage.GetSize(path), 0);
            }
            else if (ArchivedLogPieces.TryParseName(name, out number) && number >= from && !logs.ContainsKey(number)
                && !storage.Exists(FolderOf(timelineHex) + "/" + FileNames.LogName(number)))
                logs[number] = ArchivedLogPieces.Read(storage, path);
        }
        return logs;
    }

    /// <summary>
    /// Deletes archived logs no restore can use: those older than the first log of the oldest
    /// backup on their timeline (nothing to replay them onto), every log of a timeline with no
    /// backup, and temporary files. Returns the number of files removed.
    /// </summary>
    public static int Collect(IBackupStorage storage, IReadOnlyList<BackupDescriptor> backups, bool temporaries)
    {
        int removed = 0;
        foreach (var timeline in storage.ListFolders(Folder))
        {
            long keepFrom = KeepFrom(backups, timeline);
            foreach (var name in storage.ListFiles(FolderOf(timeline)))
            {
                bool log = FileNames.Parse(name, out long number) == DbFileKind.Log || ArchivedLogPieces.TryParseName(name, out number);
                if (log && number >= keepFrom) continue;
                string path = FolderOf(timeline) + "/" + name;
                // A running database may be writing it: only an explicit collection (or the
                // archiver's start) removes it, and never while this process is writing it.
                if (!log && IsTemporary(name) && (!temporaries || ArchiveTemporaries.IsInProgress(storage, path))) continue;
                storage.Delete(path);
                removed++;
            }
            if (keepFrom == long.MaxValue) storage.DeleteFolder(FolderOf(timeline));
        }
        return removed;
    }

    /// <summary>The lowest log number a backup holds (its log horizon); long.MaxValue when it holds none.</summary>
    public static long FirstLog(BackupDescriptor backup)
    {
        long first = long.MaxValue;
        foreach (var f in backup.Files)
            if (f.Kind == "log" && FileNames.Parse(f.Name, out long n) == DbFileKind.Log) first = Math.Min(first, n);
        return first;
    }

    internal static string Text(long n) => n.ToString(CultureInfo.InvariantCulture);
}
