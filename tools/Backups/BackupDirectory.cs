using System.CommandLine;
using System.Globalization;
using LatticeKV.Tool.Cli;

namespace LatticeKV.Tool.Backups;

/// <summary>
/// The backup directory a <c>lkv backup</c> command works on: its argument and lock option,
/// opening it (only ever a directory laid out as backups, or an empty or new one), and the
/// translation of the backup engine's errors into lkv's exit codes.
/// </summary>
public static class BackupDirectory
{
    /// <summary>The names a backup directory holds at its top (FORMAT.md §13); anything else means it is not one.</summary>
    private static readonly HashSet<string> LayoutNames = new(StringComparer.Ordinal) { "LOCK", "meta", "shared", "private", "archive", "tmp" };

    public static Argument<string> Argument() => new("backup-dir") { Description = "Backup directory." };

    public static Option<double> LockTimeout() => new("--lock-timeout")
    {
        Description = "Seconds to wait while another process (or a database's automatic backup) uses the backup directory.",
        DefaultValueFactory = _ => 60,
    };

    /// <summary>
    /// Checks the backup directory named on the command line and returns its full path.
    /// <paramref name="create"/>: it may be missing (it will be made) or empty; otherwise it must
    /// exist. Either way a directory holding anything but backups is refused, so that lkv never
    /// drops its files into a database or a home directory.
    /// </summary>
    public static string Check(string path, bool create)
    {
        string full = Path.GetFullPath(path);
        int code = create ? ExitCodes.Usage : ExitCodes.DbNotFound;
        if (File.Exists(full)) throw new ExitException($"'{full}' is a file, not a backup directory.", code);
        if (!Directory.Exists(full))
        {
            if (create) return full;
            throw new ExitException($"no backup directory at '{full}'.", ExitCodes.DbNotFound);
        }
        if (Directory.EnumerateFileSystemEntries(full).Select(e => Path.GetFileName(e)).FirstOrDefault(n => !LayoutNames.Contains(n)) is { } stranger)
        {
            throw new ExitException($"'{full}' is not a backup directory (it holds '{stranger}'); "
                + (create ? "backups are written only into a new, empty or backup directory." : "name the directory the backups were written to."), code);
        }
        return full;
    }

    /// <summary>Opens the backup directory named on the command line, after <see cref="Check"/>.</summary>
    public static BackupEngine Open(string path, ParseResult r, Option<double> lockTimeout, bool create,
        Action<BackupProgress>? progress = null, EncryptionOptions? encryption = null)
    {
        string full = Check(path, create);
        double seconds = Require.InRange(r.GetValue(lockTimeout), 0, 24 * 3600, "--lock-timeout");
        return BackupEngine.Open(full, new BackupOptions { LockTimeout = TimeSpan.FromSeconds(seconds), Progress = progress, Encryption = encryption });
    }

    /// <summary>
    /// Runs a command on the backup directory <paramref name="path"/> under <see cref="Guard"/>,
    /// first turning the backup engine's errors into lkv's: the directory busy is locked (4), a
    /// backup or a state that does not exist is not found (3), damage in the directory is
    /// corruption (6) with a pointer to <c>lkv backup verify</c>. Errors of the database being
    /// backed up or restored keep <see cref="Guard"/>'s own messages.
    /// </summary>
    public static int Run(string path, Func<int> action) => Guard.Run(() =>
    {
        string full = Path.GetFullPath(path);
        try
        {
            return action();
        }
        catch (DbLockedException ex) when (Path.GetFullPath(ex.DbPath) == full)
        {
            throw new ExitException($"the backup directory '{full}' is in use by another process (see --lock-timeout).", ExitCodes.Locked);
        }
        catch (InvalidArgumentException ex) when (ex.ParamName is "id" or "target" or "sequence" or "backups")
        {
            // The engine names the parameter: a backup id that is not there, or a time or sequence no backup reaches.
            throw new ExitException(ex.Message, ExitCodes.DbNotFound);
        }
        catch (CorruptionException ex) when (ex.FilePath is { } file && Path.GetFullPath(file).StartsWith(full + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new ExitException(ex.Message + " (`lkv backup verify` checks every backup)", ExitCodes.Corruption);
        }
    });

    /// <summary>
    /// Refuses two directories of which one lies inside the other (a backup directory inside the
    /// database, a restore into the backup directory): each would take the other's files for strangers.
    /// </summary>
    public static void RequireApart(string first, string second)
    {
        string a = Path.GetFullPath(first).TrimEnd(Path.DirectorySeparatorChar), b = Path.GetFullPath(second).TrimEnd(Path.DirectorySeparatorChar);
        if (a == b || a.StartsWith(b + Path.DirectorySeparatorChar, StringComparison.Ordinal) || b.StartsWith(a + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new UsageException($"'{a}' and '{b}' must be separate directories, neither inside the other.");
    }

    /// <summary>The backup <paramref name="id"/>, or exit code 3 naming the backups there are.</summary>
    public static BackupInfo Find(BackupEngine engine, int id)
    {
        var all = engine.ListBackups();
        return all.FirstOrDefault(b => b.Id == id) ?? throw new ExitException(
            $"there is no backup {id.ToString(CultureInfo.InvariantCulture)} in '{engine.Location}'; "
            + (all.Count == 0 ? "it holds none." : "it holds " + string.Join(", ", all.Select(b => b.Id.ToString(CultureInfo.InvariantCulture))) + "."),
            ExitCodes.DbNotFound);
    }
}
