namespace LatticeKV;

/// <summary>Another process or another <see cref="LatticeDb"/> instance holds the database directory.</summary>
public sealed class DbLockedException : LatticeException
{
    /// <summary>Creates the error for a locked directory.</summary>
    public DbLockedException(string path, Exception? innerException = null)
        : base($"The database at '{path}' is locked by another process or instance.", innerException) => DbPath = path;

    /// <summary>The locked database directory.</summary>
    public string DbPath { get; }
}
