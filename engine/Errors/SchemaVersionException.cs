namespace LatticeKV;

/// <summary>
/// The database holds a column family whose stored schema version is newer than this program
/// knows (the highest <see cref="Migration.ToVersion"/> for that family in
/// <see cref="DbOptions.Migrations"/>): a newer release wrote it. Thrown by
/// <see cref="LatticeDb.Open"/> before anything in the directory is written.
/// </summary>
public class SchemaVersionException : LatticeException
{
    /// <summary>Creates the error for <paramref name="columnFamily"/>.</summary>
    public SchemaVersionException(string columnFamily, int storedVersion, int knownVersion)
        : base($"Column family '{columnFamily}' has schema version {storedVersion}, newer than the {knownVersion} this program knows: it was written by a newer release.")
    {
        ColumnFamily = columnFamily;
        StoredVersion = storedVersion;
        KnownVersion = knownVersion;
    }

    /// <summary>The family whose version is too new.</summary>
    public string ColumnFamily { get; }

    /// <summary>The version the database holds.</summary>
    public int StoredVersion { get; }

    /// <summary>The highest version this program's migrations reach.</summary>
    public int KnownVersion { get; }
}
