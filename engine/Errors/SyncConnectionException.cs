namespace LatticeKV;

/// <summary>
/// A sync connection could not be made or was lost: the peer could not be reached, the TLS
/// handshake failed (an untrusted, expired or missing certificate on either side), or the
/// connection broke or was tampered with. <see cref="Exception.InnerException"/> holds the cause.
/// </summary>
public sealed class SyncConnectionException : LatticeException
{
    /// <summary>Creates the error wrapping the network or TLS failure.</summary>
    public SyncConnectionException(string message, Exception? innerException = null) : base(message, innerException) { }
}
