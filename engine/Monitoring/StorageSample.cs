namespace LatticeKV;

/// <summary>
/// The database's sizes at one moment (<see cref="LatticeDb.GetStorageHistory"/>,
/// <see cref="StorageHistory.Read"/>): tables per column family and level, write-ahead logs, the
/// other files of the directory, the backup directory and the free space of the volume.
/// Numbers and family names only.
/// </summary>
public sealed class StorageSample
{
    /// <summary>When the sample was taken (<see cref="DbOptions.Clock"/>).</summary>
    public DateTimeOffset Time { get; init; }

    /// <summary>Table bytes and files of each column family and level that holds any, by family then level.</summary>
    public IReadOnlyList<StorageLevelSize> Levels { get; init; } = [];

    /// <summary>Bytes of the write-ahead logs in the directory.</summary>
    public long LogBytes { get; init; }

    /// <summary>
    /// Bytes of every other file in the directory: MANIFEST, OPTIONS, the key registry, journals,
    /// this history, and files a later version adds (blob files are counted here until they get their own field).
    /// </summary>
    public long OtherBytes { get; init; }

    /// <summary>Bytes in the automatic backup directory (<see cref="DbOptions.AutoBackup"/>); null without one, or when it is not a local directory.</summary>
    public long? BackupBytes { get; init; }

    /// <summary>Free bytes of the volume holding the database; null when unknown.</summary>
    public long? DiskFreeBytes { get; init; }

    /// <summary>Size of the volume holding the database; null when unknown.</summary>
    public long? DiskTotalBytes { get; init; }

    /// <summary>Bytes of all tables (the sum of <see cref="Levels"/>).</summary>
    public long TableBytes => Levels.Sum(l => l.Bytes);

    /// <summary>Bytes of the database directory: tables, logs and other files (backups not included).</summary>
    public long TotalBytes => TableBytes + LogBytes + OtherBytes;
}

/// <summary>The tables of one level of one column family in a <see cref="StorageSample"/>.</summary>
/// <param name="ColumnFamily">The family's name.</param>
/// <param name="Level">The level (0 is the newest).</param>
/// <param name="Bytes">Bytes of the level's tables.</param>
/// <param name="Files">How many tables the level holds.</param>
public readonly record struct StorageLevelSize(string ColumnFamily, int Level, long Bytes, int Files);
