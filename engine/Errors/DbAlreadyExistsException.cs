namespace LatticeKV;

/// <summary>Open found a database and <see cref="DbOptions.ErrorIfExists"/> was true.</summary>
public sealed class DbAlreadyExistsException : LatticeException
{
    /// <summary>Creates the error for an existing database.</summary>
    public DbAlreadyExistsException(string path) : base($"A database already exists at '{path}' and ErrorIfExists is true.") => DbPath = path;

    /// <summary>The directory that already holds a database.</summary>
    public string DbPath { get; }
}
