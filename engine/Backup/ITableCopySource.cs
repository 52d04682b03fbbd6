using LatticeKV.Io;

namespace LatticeKV.Backup;

/// <summary>
/// Where self-healing finds intact copies of tables: the shared tables of a backup (FORMAT.md
/// §13). Only what healing needs, so that another backup store can serve it.
/// </summary>
internal interface ITableCopySource
{
    /// <summary>
    /// The copies of table <paramref name="number"/> of database <paramref name="databaseIdHex"/>
    /// that are <paramref name="size"/> bytes long: the one named with <paramref name="checksum"/>
    /// when the checksum is known (not 0), else every one of that number and size whatever
    /// checksum its name carries. Empty when the source has none (or is unreachable).
    /// </summary>
    IReadOnlyList<SharedTableName> Find(string databaseIdHex, long number, long size, ulong checksum);

    /// <summary>Where the copy <paramref name="name"/> lies, for reports.</summary>
    string Describe(SharedTableName name);

    /// <summary>Copies <paramref name="name"/> to <paramref name="destination"/> on <paramref name="fs"/>, fsynced; returns the XXH3-64 of the bytes copied.</summary>
    ulong CopyTo(SharedTableName name, IFileSystem fs, string destination);
}
