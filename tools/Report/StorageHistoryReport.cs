namespace LatticeKV.Tool.Report;

/// <summary>A database's storage history as the reports show it: the samples, the growth over them, or why there are none.</summary>
/// <param name="Samples">Oldest first.</param>
/// <param name="Growth">The growth over the default window; null with fewer than two samples.</param>
/// <param name="Problem">Why the history could not be read (a damaged file), or null.</param>
public sealed record StorageHistoryReport(IReadOnlyList<StorageSample> Samples, StorageGrowth? Growth, string? Problem)
{
    /// <summary>Reads the history of the database at <paramref name="path"/>; damage becomes <see cref="Problem"/>, not an exception.</summary>
    public static StorageHistoryReport Load(string path)
    {
        try
        {
            var samples = StorageHistory.Read(path);
            return new StorageHistoryReport(samples, StorageGrowth.Compute(samples), null);
        }
        catch (CorruptionException ex)
        {
            return new StorageHistoryReport([], null, ex.Message);
        }
    }
}
