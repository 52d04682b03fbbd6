namespace LatticeKV;

/// <summary>
/// Reads a database's storage history (<see cref="DbOptions.StorageSampleInterval"/>) from its
/// directory without opening it: usable while another process has the database open, or after
/// it closed. FORMAT.md §20.
/// </summary>
public static class StorageHistory
{
    /// <summary>
    /// The samples recorded in the database at <paramref name="path"/>, oldest first; empty when
    /// it has none. A torn tail (a crash while the file was rewritten) is dropped; other damage
    /// throws <see cref="CorruptionException"/> naming the file and offset.
    /// </summary>
    public static IReadOnlyList<StorageSample> Read(string path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new InvalidArgumentException("Database path must not be empty.", nameof(path));
        return Monitoring.StorageHistoryFile.Read(Io.RealFileSystem.Instance, System.IO.Path.GetFullPath(path));
    }
}
