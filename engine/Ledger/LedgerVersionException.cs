namespace LatticeKV.Ledger;

/// <summary>
/// The database holds a ledger written in a newer format than this program knows: a newer release
/// wrote it. Thrown by <see cref="Ledger.Open"/> before anything is written.
/// </summary>
public sealed class LedgerVersionException : LedgerException
{
    /// <summary>Creates the error.</summary>
    public LedgerVersionException(uint storedVersion, uint knownVersion)
        : base($"The ledger has format version {storedVersion}, newer than the {knownVersion} this program knows: it was written by a newer release.")
    {
        StoredVersion = storedVersion;
        KnownVersion = knownVersion;
    }

    /// <summary>The version the database holds.</summary>
    public uint StoredVersion { get; }

    /// <summary>The newest version this program reads.</summary>
    public uint KnownVersion { get; }
}
