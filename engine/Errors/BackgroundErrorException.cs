namespace LatticeKV;

/// <summary>
/// A background flush or compaction failed, so the database stopped accepting writes to
/// protect what is on disk. Reads keep working. <see cref="Exception.InnerException"/> holds the cause.
/// </summary>
public sealed class BackgroundErrorException : LatticeException
{
    /// <summary>Creates the error wrapping the background failure.</summary>
    public BackgroundErrorException(string message, Exception? innerException) : base(message, innerException) { }
}
