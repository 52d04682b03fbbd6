using System.Globalization;
using LatticeKV.Io;
using LatticeKV.Tool.Cli;

namespace LatticeKV.Tool.Demo;

/// <summary>
/// Where <c>lkv demo</c> may write. It makes a new (or empty) directory its own by writing a
/// marker file first, and later replaces only a directory that holds that marker, nothing but
/// what the demo and the engine put there, and a database no process has open. Anything else at
/// the path (a database, a directory of other files, a file) is refused with every byte left as
/// it was.
/// </summary>
public static class DemoDirectory
{
    /// <summary>The marker's file name. Its first line is <see cref="Signature"/>.</summary>
    public const string MarkerName = "LKV-DEMO";

    /// <summary>The first line of the marker: what makes a directory the demo's to replace.</summary>
    public const string Signature = "lkv demo directory";

    private const string LostDirectory = "lost";

    /// <summary>
    /// Leaves <paramref name="dir"/> as a marked directory without a database, ready for a new
    /// demo. Throws <see cref="UsageException"/> (exit code 2) when the path is not the demo's to
    /// use, its database is open in another process included.
    /// </summary>
    public static void Prepare(string dir)
    {
        if (File.Exists(dir)) throw Refuse(dir, "is a file, not a directory");
        if (!Directory.Exists(dir))
        {
            Directory.CreateDirectory(dir);
            WriteMarker(dir);
            return;
        }
        if (!Directory.EnumerateFileSystemEntries(dir).Any())
        {
            WriteMarker(dir);
            return;
        }
        if (!IsMarked(dir))
        {
            throw Refuse(dir, File.Exists(FileNames.CurrentPath(dir))
                ? $"holds a database that lkv demo did not create (there is no {MarkerName} marker)"
                : $"holds files that lkv demo did not create (there is no {MarkerName} marker)");
        }
        var (doomed, unexpected) = Survey(dir);
        if (unexpected.Count > 0)
        {
            throw Refuse(dir, $"was made by lkv demo but now also holds what the demo did not put there ({string.Join(", ", unexpected.Take(5))}"
                + (unexpected.Count > 5 ? ", ..." : "") + ")");
        }
        // The engine's own lock: a database open in another process is not replaced under it.
        IDisposable held;
        try { held = RealFileSystem.Instance.LockFile(FileNames.LockPath(dir)); }
        catch (DbLockedException) { throw Refuse(dir, "was made by lkv demo, but its database is open in another process"); }
        using (held)
        {
            foreach (var file in doomed) File.Delete(file);
            string lost = Path.Combine(dir, LostDirectory);
            if (Directory.Exists(lost)) Directory.Delete(lost);
        }
    }

    /// <summary>
    /// The files a replacement deletes (the database's own, and those in <c>lost/</c>, which
    /// repair fills) and the entries that are neither those, the marker, nor the lock.
    /// </summary>
    private static (List<string> Doomed, List<string> Unexpected) Survey(string dir)
    {
        var doomed = new List<string>();
        var unexpected = new List<string>();
        foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos())
        {
            if (entry is DirectoryInfo sub && entry.Name == LostDirectory && !IsLink(sub))
            {
                foreach (var inner in sub.EnumerateFileSystemInfos())
                {
                    if (IsEngineFile(inner)) doomed.Add(inner.FullName);
                    else unexpected.Add(Path.Combine(LostDirectory, inner.Name));
                }
            }
            else if (entry.Name is MarkerName or FileNames.Lock && entry is FileInfo && !IsLink(entry))
            {
                // Kept: the marker still names the directory the demo's, and the lock is held below.
            }
            else if (IsEngineFile(entry))
            {
                doomed.Add(entry.FullName);
            }
            else
            {
                unexpected.Add(entry.Name);
            }
        }
        return (doomed, unexpected);
    }

    /// <summary>A regular file named as the engine names its files (FORMAT.md, "Directory layout").</summary>
    private static bool IsEngineFile(FileSystemInfo entry)
        => entry is FileInfo && !IsLink(entry) && FileNames.Parse(entry.Name, out _) != DbFileKind.Unknown;

    // A link could lead out of the directory: never followed, never deleted.
    private static bool IsLink(FileSystemInfo entry) => entry.LinkTarget is not null;

    private static bool IsMarked(string dir)
    {
        var marker = new FileInfo(Path.Combine(dir, MarkerName));
        if (!marker.Exists || IsLink(marker)) return false;
        using var reader = new StreamReader(marker.FullName);
        return reader.ReadLine() == Signature;
    }

    private static void WriteMarker(string dir)
        => File.WriteAllText(Path.Combine(dir, MarkerName), string.Create(CultureInfo.InvariantCulture,
            $"{Signature}\ncreated {DateTimeOffset.UtcNow:u} by lkv demo, which may replace the database here with a new demo.\n"));

    private static UsageException Refuse(string dir, string why)
        => new($"'{dir}' {why}; lkv demo only creates a new directory, uses an empty one, or replaces one an earlier demo created. "
            + "Nothing was changed: choose another --path.");
}
