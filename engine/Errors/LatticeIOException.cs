namespace LatticeKV;

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
