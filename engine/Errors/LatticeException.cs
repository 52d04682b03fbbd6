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
