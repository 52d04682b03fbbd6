namespace LatticeKV;

/// <summary>
/// How much of a database <see cref="LatticeDb.Open"/> checks before it returns
/// (<see cref="DbOptions.StartupCheck"/>). Damage found is healed from
/// <see cref="DbOptions.RecoverFromBackup"/> when a backup holds the file; otherwise the open
/// fails with a <see cref="CorruptionException"/> naming the file.
/// </summary>
public enum StartupCheck
{
    /// <summary>Only what recovery needs: the MANIFEST is read and every table it lists exists.</summary>
    None = 0,

    /// <summary>
    /// Default. Also every table has exactly the size the MANIFEST records, and its footer,
    /// meta-index, index, filter and properties blocks read and pass their checksums. Data
    /// blocks are not read; the tables stay open in the table cache for the reads that follow.
    /// </summary>
    Quick = 1,

    /// <summary>
    /// Also every data block of every table (checksum or authentication tag, entry order and
    /// count) and, where the MANIFEST records it, the whole file's XXH3-64; the write-ahead logs
    /// are read record by record as recovery replays them. Reads the whole database.
    /// </summary>
    Full = 2,
}
