using System.Security.Cryptography;
using LatticeKV.Io;

namespace LatticeKV.Backup;

/// <summary>
/// The directory a restore builds: a temporary sibling of the target, renamed onto it only when
/// complete and fsynced, so the target holds the whole restored database or nothing. The target
/// must not exist or be an empty directory: a restore never overwrites data.
/// </summary>
internal sealed class RestoreDirectory : IDisposable
{
    public const string TempMarker = ".restore-tmp-";

    private readonly IFileSystem _fs;
    private readonly List<string> _created = [];
    private bool _done;

    public RestoreDirectory(IFileSystem fs, string target)
    {
        _fs = fs;
        Target = Path.GetFullPath(target);
        if (fs.FileExists(Target)) throw new InvalidArgumentException($"Restore target '{Target}' is a file.", "databaseDirectory");
        if (fs.DirectoryExists(Target) && fs.ListFiles(Target).Count > 0 || Directory.Exists(Target) && Directory.EnumerateFileSystemEntries(Target).Any())
            throw new InvalidArgumentException($"Restore target '{Target}' is not empty: a restore writes only into a new or empty directory.", "databaseDirectory");
        string parent = Path.GetDirectoryName(Target) ?? throw new InvalidArgumentException($"Restore target '{Target}' has no parent directory.", "databaseDirectory");
        if (!fs.DirectoryExists(parent)) fs.CreateDirectory(parent);
        RemoveAbandoned(fs, parent, Path.GetFileName(Target) + TempMarker);
        Temp = Target + TempMarker + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        fs.CreateDirectory(Temp);
    }

    /// <summary>
    /// Removes what a killed restore (or checkpoint) of the same target left: directories named
    /// <paramref name="prefix"/> plus 8 hex digits, holding plain files only (anything else there
    /// is not ours and stays).
    /// </summary>
    internal static void RemoveAbandoned(IFileSystem fs, string parent, string prefix)
    {
        foreach (var dir in Directory.EnumerateDirectories(parent, prefix + "*"))
        {
            string suffix = Path.GetFileName(dir)[prefix.Length..];
            if (suffix.Length != 8 || !suffix.All(char.IsAsciiHexDigitLower)) continue;
            if (Directory.EnumerateDirectories(dir).Any()) continue;
            try
            {
                foreach (var file in Directory.EnumerateFiles(dir)) fs.DeleteFile(file);
                fs.DeleteEmptyDirectory(dir);
            }
            catch (LatticeIOException) { } // in use by a run still going: left for later
        }
    }

    public string Target { get; }

    public string Temp { get; }

    /// <summary>The path of a file being restored (remembered for cleanup).</summary>
    public string FileFor(string name)
    {
        string path = Path.Combine(Temp, name);
        _created.Add(path);
        return path;
    }

    public void Delete(string name)
    {
        string path = Path.Combine(Temp, name);
        _fs.DeleteFile(path);
        _created.Remove(path);
    }

    /// <summary>Makes the restored directory durable and puts it in place.</summary>
    public void Commit()
    {
        _fs.SyncDirectory(Temp);
        if (_fs.DirectoryExists(Target)) _fs.DeleteEmptyDirectory(Target);
        _fs.RenameDirectory(Temp, Target);
        _fs.SyncDirectory(Path.GetDirectoryName(Target)!);
        _done = true;
    }

    public void Dispose()
    {
        if (_done) return;
        foreach (var path in _created)
        {
            try { _fs.DeleteFile(path); } catch (Exception e) when (e is LatticeIOException or FileNotFoundException) { }
        }
        try { _fs.DeleteEmptyDirectory(Temp); } catch (LatticeIOException) { }
    }
}
