using LatticeKV.Io;

namespace LatticeKV.Migrations;

/// <summary>
/// The checkpoint a migration takes before its first step, and the rollback to it (FORMAT.md
/// §18.3). The checkpoint lives inside the database directory as <see cref="DirectoryName"/> and
/// is deleted once the last step has committed. A rollback first writes the marker file
/// <see cref="MarkerName"/>; while it exists the checkpoint is the truth, and every open begins by
/// finishing the rollback, so a crash during one still ends in the state before the migration.
/// </summary>
internal static class MigrationCheckpoint
{
    /// <summary>The checkpoint's directory inside the database directory. Do not change.</summary>
    public const string DirectoryName = "MIGRATION-CHECKPOINT";

    /// <summary>Present while a rollback is under way. Do not change.</summary>
    public const string MarkerName = "MIGRATION-ROLLBACK";

    public static string DirectoryOf(string db) => Path.Combine(db, DirectoryName);

    public static bool RollbackPending(IFileSystem fs, string db) => fs.FileExists(Path.Combine(db, MarkerName));

    /// <summary>Deletes the checkpoint directory and everything in it, if it exists.</summary>
    public static void Remove(IFileSystem fs, string db)
    {
        string dir = DirectoryOf(db);
        if (!fs.DirectoryExists(dir)) return;
        foreach (var name in fs.ListFiles(dir)) fs.DeleteFile(Path.Combine(dir, name));
        fs.DeleteEmptyDirectory(dir);
        fs.SyncDirectory(db);
    }

    /// <summary>Records that the database must go back to the checkpoint: from here on, every open finishes the rollback first.</summary>
    public static void BeginRollback(IFileSystem fs, string db)
    {
        if (!fs.FileExists(Path.Combine(DirectoryOf(db), FileNames.Current)))
            throw new CorruptionException("the migration checkpoint to roll back to is missing", DirectoryOf(db));
        fs.WriteAllBytesSynced(Path.Combine(db, MarkerName), "rollback\n"u8);
        fs.SyncDirectory(db);
    }

    /// <summary>
    /// Replaces the database's files with the checkpoint's, then removes the marker and the
    /// checkpoint. The caller holds the directory lock and has nothing open. Safe to repeat from
    /// any point: nothing the checkpoint holds is changed until the marker is gone.
    /// </summary>
    /// <param name="fs">The database's file system.</param>
    /// <param name="db">The database directory.</param>
    /// <param name="afterFile">Test hook: called after each file deleted or restored (a fault there simulates a crash).</param>
    public static void Restore(IFileSystem fs, string db, Action? afterFile = null)
    {
        string dir = DirectoryOf(db);
        if (!fs.FileExists(Path.Combine(dir, FileNames.Current)))
            throw new CorruptionException($"a migration rollback is pending ({MarkerName}) but its checkpoint is missing", dir);
        foreach (var name in fs.ListFiles(db))
        {
            if (!IsDatabaseState(name)) continue;
            fs.DeleteFile(Path.Combine(db, name));
            afterFile?.Invoke();
        }
        foreach (var name in fs.ListFiles(dir))
        {
            // The identity stays the live one: the checkpoint's was given a new timeline.
            if (name == FileNames.Identity) continue;
            string source = Path.Combine(dir, name), target = Path.Combine(db, name);
            if (fs.FileExists(target)) fs.DeleteFile(target);
            if (FileNames.Parse(name, out _) != DbFileKind.Table || !fs.TryHardLink(source, target))
                Backup.FileCopy.Copy(fs, source, fs, target, fs.GetFileSize(source));
            afterFile?.Invoke();
        }
        fs.SyncDirectory(db);
        fs.DeleteFile(Path.Combine(db, MarkerName));
        fs.SyncDirectory(db);
        Remove(fs, db);
    }

    /// <summary>Files that hold the database's contents (and are replaced by a rollback); the lock, identity and info log stay.</summary>
    private static bool IsDatabaseState(string name)
        => FileNames.Parse(name, out _) is DbFileKind.Log or DbFileKind.Table or DbFileKind.Manifest or DbFileKind.Current or DbFileKind.Options or DbFileKind.Temp
            || name.StartsWith(Crypto.KeyRegistry.FilePrefix, StringComparison.Ordinal);
}
