using LatticeKV.Db;
using LatticeKV.Io;

namespace LatticeKV.Backup;

/// <summary>
/// Restores a backup (<see cref="BackupEngine.RestoreBackup"/>): every file copied back and
/// checked against its recorded size and checksum, IDENTITY on a new timeline (the restored copy
/// may diverge from the original), the whole built aside and renamed into place.
/// </summary>
internal static class BackupRestorer
{
    public static void Restore(IBackupStorage storage, BackupDescriptor backup, string target, Action<BackupProgress>? progress, CancellationToken cancel)
    {
        var fs = RealFileSystem.Instance;
        using var dir = new RestoreDirectory(fs, target);
        CopyFiles(storage, backup, dir, skipLogs: false, registryFrom: null, progress, cancel);
        dir.Commit();
    }

    /// <summary>
    /// Copies the backup's files into <paramref name="dir"/>: every file but the logs when
    /// <paramref name="skipLogs"/>, and the key registry of <paramref name="registryFrom"/> instead
    /// of the backup's own when given (a point-in-time restore replays logs that may need newer keys).
    /// </summary>
    public static void CopyFiles(IBackupStorage storage, BackupDescriptor backup, RestoreDirectory dir, bool skipLogs, BackupDescriptor? registryFrom,
        Action<BackupProgress>? progress, CancellationToken cancel)
    {
        var fs = RealFileSystem.Instance;
        var files = backup.Files.Where(f => !(skipLogs && f.Kind == "log")).ToList();
        if (registryFrom is not null && registryFrom.Id != backup.Id)
        {
            files.RemoveAll(f => f.Kind == "key-registry");
            files.AddRange(registryFrom.Files.Where(f => f.Kind == "key-registry"));
        }
        long total = files.Sum(f => f.Size), done = 0;
        int filesDone = 0;
        foreach (var f in files)
        {
            cancel.ThrowIfCancellationRequested();
            string path = dir.FileFor(f.Name);
            if (f.Kind == "identity")
            {
                var identity = new DatabaseIdentity(Convert.FromHexString(backup.DatabaseId), []).NewTimeline();
                fs.WriteAllBytesSynced(path, identity.Encode());
            }
            else
            {
                StorageCopy.Download(storage, f, fs, path, n =>
                {
                    done += n;
                    progress?.Invoke(new BackupProgress("restore", done, total, filesDone, files.Count));
                }, cancel);
            }
            filesDone++;
        }
    }
}
