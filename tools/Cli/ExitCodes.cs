namespace LatticeKV.Tool.Cli;

/// <summary>lkv's exit codes (README, "Exit codes"). Scripts depend on them: do not renumber.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary><c>get</c>: the key does not exist.</summary>
    public const int NotFound = 1;
    /// <summary>Bad command line or malformed input (a key that is not valid hex, an unknown option).</summary>
    public const int Usage = 2;
    /// <summary>No database (or file) at the path.</summary>
    public const int DbNotFound = 3;
    /// <summary>Another process has the database open.</summary>
    public const int Locked = 4;
    /// <summary>The column family does not exist.</summary>
    public const int ColumnFamilyNotFound = 5;
    /// <summary>The database or file is damaged (<c>lkv verify</c> says which file; <c>lkv repair</c> rebuilds).</summary>
    public const int Corruption = 6;
    /// <summary>An I/O error: permissions, a full disk, a failing device.</summary>
    public const int IoError = 7;
    /// <summary>The database is encrypted and no key was given, or the key given does not open it (nothing was changed).</summary>
    public const int EncryptionKey = 8;
    /// <summary><c>verify</c>: CURRENT or the MANIFEST is missing or damaged.</summary>
    public const int VerifyManifest = 10;
    /// <summary><c>verify</c>: a table failed a checksum or disagrees with the MANIFEST.</summary>
    public const int VerifyTableDamaged = 11;
    /// <summary><c>verify</c>: a table the MANIFEST lists is missing.</summary>
    public const int VerifyTableMissing = 12;
    /// <summary><c>verify</c>: a write-ahead log needed for recovery is damaged or missing.</summary>
    public const int VerifyLogDamaged = 13;
    /// <summary><c>verify</c>, <c>index verify</c>: an index disagrees with its primary data (missing entries, wrong document records or statistics).</summary>
    public const int VerifyIndexInconsistent = 14;
    /// <summary><c>changes</c>: the change log no longer holds every change after <c>--since</c> (the message gives the oldest position still valid).</summary>
    public const int ChangesTruncated = 15;
    /// <summary><c>sync</c>, <c>serve</c>: the peer could not be reached, refused this database (or was refused), or the session broke.</summary>
    public const int SyncFailed = 16;
    /// <summary><c>verify --integrity</c>: a child entry refers to a parent that does not exist (a foreign key is broken), or a stored value fails its family's validator.</summary>
    public const int VerifyIntegrityViolated = 17;
    /// <summary><c>ledger verify</c>, <c>ledger proof</c>: a balance, index entry, Merkle leaf or tile, stored checkpoint or network evidence disagrees (or a proof does not verify).</summary>
    public const int VerifyLedgerInconsistent = 18;
    /// <summary><c>ledger append</c>: a transaction id is already stored with other content.</summary>
    public const int LedgerConflict = 19;
    /// <summary><c>repair</c>: the database was rebuilt but damaged data could not be saved.</summary>
    public const int RepairLostData = 20;
    /// <summary><c>torture</c>: an acknowledged write was lost, a batch half-applied, a delete resurrected or a stray key found.</summary>
    public const int TortureViolation = 30;
    /// <summary><c>torture --self-test</c>: a planted violation was not reported with <see cref="TortureViolation"/>.</summary>
    public const int OracleMissedViolation = 31;
    /// <summary>A bug in lkv or the engine (the message asks for a report).</summary>
    public const int Internal = 70;
}
