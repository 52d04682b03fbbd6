using System.Globalization;
using LatticeKV.Io;

namespace LatticeKV.Backup;

/// <summary>
/// Archived write-ahead logs (<c>archive/TIMELINE/NUMBER.log</c>, FORMAT.md §13): each log the
/// database retires, copied whole before it is deleted, so that the writes between two backups
/// can be replayed (<see cref="BackupEngine.RestoreToPointInTime"/>). Grouped by timeline: a
/// restored copy reuses log numbers, and its logs must never be mistaken for the original's.
/// </summary>
internal static class LogArchive
{
    public const string Folder = "archive";

    public static string FolderOf(string timelineHex) => Folder + "/" + timelineHex;

    public static string PathOf(string timelineHex, long number) => FolderOf(timelineHex) + "/" + FileNames.LogName(number);

    /// <summary>Copies a retired log into the archive (temporary name, commit, rename).</summary>
    public static void Archive(IBackupStorage storage, string timelineHex, IFileSystem fs, string source, long number, long length)
    {
        // A temporary name of its own: a second copy of the same log under way never truncates this one.
        string path = PathOf(timelineHex, number);
        string temp = path + ".tmp-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4));
        // The database deletes the log right after: on the same file system a second name is a
        // move, not a copy (no byte written twice). A log still longer than its records (a
        // reserved tail) is copied instead, so the archive holds exactly the records.
        if (storage is FileSystemBackupStorage local && fs is RealFileSystem && fs.GetFileSize(source) == length && local.TryLinkDurably(source, temp))
        {
            storage.Rename(temp, path);
            return;
        }
        StorageCopy.Upload(fs, source, length, storage, temp, null, CancellationToken.None);
        storage.Rename(temp, path);
    }

    private static bool IsTemporary(string name) => name.Contains(".tmp-", StringComparison.Ordinal);

    /// <summary>Removes the temporary files of archives a killed run of this timeline's database left (one database writes a timeline).</summary>
    public static void RemoveTemporaries(IBackupStorage storage, string timelineHex)
    {
        foreach (var name in storage.ListFiles(FolderOf(timelineHex)))
            if (IsTemporary(name)) storage.Delete(FolderOf(timelineHex) + "/" + name);
    }

    /// <summary>Archived logs of a timeline: number and stored path, in order.</summary>
    public static List<(long Number, string Path)> List(IBackupStorage storage, string timelineHex)
    {
        var logs = new List<(long, string)>();
        foreach (var name in storage.ListFiles(FolderOf(timelineHex)))
            if (FileNames.Parse(name, out long number) == DbFileKind.Log) logs.Add((number, FolderOf(timelineHex) + "/" + name));
        logs.Sort();
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
            long keepFrom = long.MaxValue;
            foreach (var b in backups.Where(b => b.Timeline == timeline))
                keepFrom = Math.Min(keepFrom, FirstLog(b));
            foreach (var name in storage.ListFiles(FolderOf(timeline)))
            {
                bool log = FileNames.Parse(name, out long number) == DbFileKind.Log;
                if (log && number >= keepFrom) continue;
                // A running database may be writing it: only an explicit collection (or the archiver's start) removes it.
                if (!log && IsTemporary(name) && !temporaries) continue;
                storage.Delete(FolderOf(timeline) + "/" + name);
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
