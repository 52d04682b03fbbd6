namespace LatticeKV;

/// <summary>
/// A sync peer sent something the wire protocol does not allow (FORMAT.md, "Sync wire protocol
/// (transport)"): a frame with a bad version, an unknown type, a length over the maximum, a bad
/// checksum or bad Snappy data, a stream cut inside a frame, an incompatible Hello, or an Error
/// frame. The connection it arrived on is closed; nothing of the frame is used.
/// </summary>
public sealed class SyncProtocolException : LatticeException
{
    /// <summary>Creates the error with a description of what was malformed.</summary>
    public SyncProtocolException(string message, Exception? innerException = null) : base("Sync protocol: " + message, innerException) { }
}
