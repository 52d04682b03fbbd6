namespace LatticeKV;

/// <summary>
/// Base type of every error LatticeKV reports. Catch this to handle all engine failures;
/// catch a subclass to handle one kind. <see cref="ObjectDisposedException"/> (use after
/// <see cref="LatticeDb.Dispose"/>) is the only other exception the public API throws for
/// misuse.
/// </summary>
public class LatticeException : Exception
{
    /// <summary>Creates an exception with a message.</summary>
    public LatticeException(string message) : base(message) { }

    /// <summary>Creates an exception with a message and the failure that caused it.</summary>
    public LatticeException(string message, Exception? innerException) : base(message, innerException) { }
}

/// <summary>
/// Stored data failed a checksum or structural check. <see cref="FilePath"/> and
/// <see cref="Offset"/> say where, when known. Data is never returned from a damaged
/// region: the read or open that found the damage fails instead.
/// </summary>
public sealed class CorruptionException : LatticeException
{
    /// <summary>Creates a corruption error for a file region.</summary>
    public CorruptionException(string message, string? filePath = null, long offset = -1, Exception? innerException = null)
        : base(Describe(message, filePath, offset), innerException)
    {
        Reason = message;
        FilePath = filePath;
        Offset = offset;
    }

    /// <summary>What was wrong, without the location.</summary>
    public string Reason { get; }

    /// <summary>The damaged file, or null when the damage is not tied to one file.</summary>
    public string? FilePath { get; }

    /// <summary>Byte offset of the damaged region in <see cref="FilePath"/>, or -1 when unknown.</summary>
    public long Offset { get; }

    /// <summary>Returns a copy located in <paramref name="filePath"/>, keeping a known offset unless a new one is given.</summary>
    internal CorruptionException At(string filePath, long offset = -1)
        => new(Reason, filePath, offset >= 0 ? offset : Offset, this);

    private static string Describe(string message, string? filePath, long offset)
    {
        if (filePath is null) return "Corruption: " + message;
        return offset >= 0
            ? $"Corruption in '{filePath}' at offset {offset}: {message}"
            : $"Corruption in '{filePath}': {message}";
    }
}

/// <summary>Another process or another <see cref="LatticeDb"/> instance holds the database directory.</summary>
public sealed class DbLockedException : LatticeException
{
    /// <summary>Creates the error for a locked directory.</summary>
    public DbLockedException(string path, Exception? innerException = null)
        : base($"The database at '{path}' is locked by another process or instance.", innerException) => DbPath = path;

    /// <summary>The locked database directory.</summary>
    public string DbPath { get; }
}

/// <summary>A write, flush, compaction or column family change on a database opened with <see cref="LatticeDb.OpenReadOnly"/>.</summary>
public sealed class DbReadOnlyException : LatticeException
{
    /// <summary>Creates the error for a change attempted on a read-only database.</summary>
    public DbReadOnlyException(string path, string operation)
        : base($"The database at '{path}' is open read-only; {operation} is not allowed.") => DbPath = path;

    /// <summary>The database directory.</summary>
    public string DbPath { get; }
}

/// <summary>An argument or option is outside what LatticeKV accepts (empty key, oversized value, bad option).</summary>
public class InvalidArgumentException : LatticeException
{
    /// <summary>Creates the error naming the parameter.</summary>
    public InvalidArgumentException(string message, string? paramName = null) : base(message) => ParamName = paramName;

    /// <summary>The parameter or option at fault, when there is one.</summary>
    public string? ParamName { get; }
}

/// <summary>A column family name or handle that does not exist in this database (or was dropped).</summary>
public sealed class ColumnFamilyNotFoundException : InvalidArgumentException
{
    /// <summary>Creates the error for a column family name.</summary>
    public ColumnFamilyNotFoundException(string name) : base($"Column family '{name}' does not exist.", "columnFamily") => Name = name;

    /// <summary>The column family name that was not found.</summary>
    public string Name { get; }
}

/// <summary>Open found no database and <see cref="DbOptions.CreateIfMissing"/> was false.</summary>
public sealed class DbNotFoundException : LatticeException
{
    /// <summary>Creates the error for a missing database.</summary>
    public DbNotFoundException(string path) : base($"No database exists at '{path}' and CreateIfMissing is false.") => DbPath = path;

    /// <summary>The directory that holds no database.</summary>
    public string DbPath { get; }
}

/// <summary>Open found a database and <see cref="DbOptions.ErrorIfExists"/> was true.</summary>
public sealed class DbAlreadyExistsException : LatticeException
{
    /// <summary>Creates the error for an existing database.</summary>
    public DbAlreadyExistsException(string path) : base($"A database already exists at '{path}' and ErrorIfExists is true.") => DbPath = path;

    /// <summary>The directory that already holds a database.</summary>
    public string DbPath { get; }
}

/// <summary>
/// An operating-system I/O call failed (disk full, permission, device error). The operation
/// had no effect unless the message says otherwise.
/// </summary>
public class LatticeIOException : LatticeException
{
    /// <summary>Creates the error for a failed I/O call on a file.</summary>
    public LatticeIOException(string message, string? filePath, Exception? innerException = null, bool isDiskFull = false)
        : base(message, innerException)
    {
        FilePath = filePath;
        IsDiskFull = isDiskFull;
    }

    /// <summary>The file the failed call was about, when there is one.</summary>
    public string? FilePath { get; }

    /// <summary>True when the failure was a full disk (ENOSPC): writes can resume once space is freed.</summary>
    public bool IsDiskFull { get; }
}

/// <summary>
/// A background flush or compaction failed, so the database stopped accepting writes to
/// protect what is on disk. Reads keep working. <see cref="Exception.InnerException"/> holds the cause.
/// </summary>
public sealed class BackgroundErrorException : LatticeException
{
    /// <summary>Creates the error wrapping the background failure.</summary>
    public BackgroundErrorException(string message, Exception? innerException) : base(message, innerException) { }
}
