namespace LatticeKV.Io;

/// <summary>Free and total bytes of the file system holding a directory.</summary>
internal static class DiskSpace
{
    /// <summary>False when the system cannot tell (the path is gone, an unusual mount).</summary>
    public static bool TryGet(string directory, out long freeBytes, out long totalBytes)
    {
        freeBytes = totalBytes = 0;
        try
        {
            var drive = new DriveInfo(Path.GetFullPath(directory));
            freeBytes = drive.AvailableFreeSpace;
            totalBytes = drive.TotalSize;
            return totalBytes > 0;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return false;
        }
    }
}
