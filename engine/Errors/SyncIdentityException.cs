namespace LatticeKV;

/// <summary>
/// A sync identity or peer certificate file is missing, unreadable or not what it should be
/// (<see cref="SyncIdentity"/>). <see cref="FilePath"/> names the file. Never carries key material.
/// </summary>
public sealed class SyncIdentityException : LatticeException
{
    /// <summary>Creates the error for <paramref name="filePath"/>.</summary>
    public SyncIdentityException(string message, string filePath, Exception? innerException = null)
        : base($"Sync identity file '{filePath}': {message}", innerException)
    {
        Reason = message;
        FilePath = filePath;
    }

    /// <summary>What was wrong, without the file name.</summary>
    public string Reason { get; }

    /// <summary>The file at fault.</summary>
    public string FilePath { get; }
}
