namespace LatticeKV;

/// <summary>A write, flush, compaction or column family change on a database opened with <see cref="LatticeDb.OpenReadOnly"/>.</summary>
public sealed class DbReadOnlyException : LatticeException
{
    /// <summary>Creates the error for a change attempted on a read-only database.</summary>
    public DbReadOnlyException(string path, string operation)
        : base($"The database at '{path}' is open read-only; {operation} is not allowed.") => DbPath = path;

    /// <summary>The database directory.</summary>
    public string DbPath { get; }
}
