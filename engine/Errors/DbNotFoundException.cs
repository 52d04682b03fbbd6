namespace LatticeKV;

/// <summary>Open found no database and <see cref="DbOptions.CreateIfMissing"/> was false.</summary>
public sealed class DbNotFoundException : LatticeException
{
    /// <summary>Creates the error for a missing database.</summary>
    public DbNotFoundException(string path) : base($"No database exists at '{path}' and CreateIfMissing is false.") => DbPath = path;

    /// <summary>The directory that holds no database.</summary>
    public string DbPath { get; }
}
