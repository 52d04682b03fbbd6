namespace LatticeKV.Io;

/// <summary>
/// Space on the volume and in directories, for the storage history. Only the real file system
/// has a volume to ask; for the others (in-memory, fault-injecting) the answers are null.
/// </summary>
internal static class VolumeSpace
{
    /// <summary>Free and total bytes of the volume holding <paramref name="path"/>; null when unknown.</summary>
    public static (long Free, long Total)? Of(IFileSystem fs, string path)
    {
        if (fs is not RealFileSystem) return null;
        try
        {
            var drive = new DriveInfo(System.IO.Path.GetFullPath(path));
            return (drive.AvailableFreeSpace, drive.TotalSize);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Bytes of every file under <paramref name="directory"/> (0 when it does not exist); null when unknown.</summary>
    public static long? DirectoryBytes(IFileSystem fs, string directory)
    {
        if (fs is not RealFileSystem) return null;
        try
        {
            if (!Directory.Exists(directory)) return 0;
            long total = 0;
            foreach (var file in new DirectoryInfo(directory).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true }))
            {
                try { total += file.Length; }
                catch (FileNotFoundException) { } // deleted while walking (a purge of old backups)
            }
            return total;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }
}
