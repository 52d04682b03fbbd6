namespace LatticeKV;

/// <summary>
/// The database cannot be opened or read for want of the right key: a wrong passphrase or key,
/// none given for an encrypted database, or data sealed with a key that was destroyed
/// (shredded). Never carries key material.
/// </summary>
public sealed class EncryptionKeyException : LatticeException
{
    /// <summary>Creates the error.</summary>
    public EncryptionKeyException(string message, Exception? innerException = null) : base(message, innerException) { }
}
