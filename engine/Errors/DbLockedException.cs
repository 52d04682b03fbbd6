namespace LatticeKV;

/// <summary>Another process or another <see cref="LatticeDb"/> instance holds the database directory.</summary>
public sealed class DbLockedException : LatticeException
{
    /// <summary>Creates the error for a locked directory.</summary>
    public DbLockedException(string path, Exception? innerException = null)
        : base($"The database at '{path}' is locked by another process or instance.", innerException) => DbPath = path;

    /// <summary>Creates the error for a locked directory with its own message (a backup directory, not a database).</summary>
    internal DbLockedException(string path, string message, Exception? innerException)
        : base(message, innerException) => DbPath = path;

    /// <summary>The locked directory.</summary>
    public string DbPath { get; }
}
