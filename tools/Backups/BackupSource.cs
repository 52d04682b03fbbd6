using System.CommandLine;
using LatticeKV.Db;
using LatticeKV.Tool.Cli;

namespace LatticeKV.Tool.Backups;

/// <summary>Opens the database a backup or checkpoint is taken of.</summary>
public static class BackupSource
{
    /// <summary>
    /// Read-only when the database has its IDENTITY: nothing in it changes, and no log is retired
    /// behind the back of an application that archives its logs (<see cref="AutoBackupOptions.ArchiveLogs"/>):
    /// a writable open would replay and delete them unarchived, leaving a gap no point-in-time
    /// restore can cross. A database made before identities existed is opened for writing once,
    /// which gives it one; a read-only open would back it up under a new identity each time, and
    /// such backups would share no table.
    /// </summary>
    public static LatticeDb Open(string path, ParseResult r)
    {
        string full = Path.GetFullPath(path);
        return File.Exists(DatabaseIdentity.PathOf(full)) ? Common.OpenReadOnly(full, r) : Common.Open(full, r);
    }
}
