namespace LatticeKV.Ledger;

/// <summary>Settings of a <see cref="Ledger"/> (<see cref="Ledger.Open"/>).</summary>
public sealed class LedgerOptions
{
    /// <summary>
    /// Seal the ledger's column families with the database's encryption
    /// (<see cref="ColumnFamilyOptions.Encrypted"/>; needs <see cref="DbOptions.Encryption"/>).
    /// Read when the families are created; existing families keep what they were created with
    /// (change them with <see cref="DbOptions.ColumnFamilyOptions"/>). Default false.
    /// </summary>
    public bool Encrypted { get; set; }

    /// <summary>
    /// Make the transactions family (<c>ledger.tx</c>) replicated (<see cref="ColumnFamilyOptions.Replicated"/>)
    /// so sync carries transactions between devices; every replica derives its own balances, indexes
    /// and Merkle log from them. Only read when the family is created (replication cannot be turned
    /// on or off later). Default true: every database has a replica id, and a ledger that is not
    /// replicated from the start can never sync.
    /// </summary>
    public bool ReplicateTransactions { get; set; } = true;

    /// <summary>
    /// Confirmations after which a transaction is <see cref="LedgerStatusKind.Final"/> (1 to 10,000).
    /// Default 6, the customary depth for Bitcoin-like chains; chains with faster blocks or weaker
    /// finality want more. The same value must be used on every open (statuses already stored stay).
    /// </summary>
    public int FinalityDepth { get; set; } = 6;

    /// <summary>Fsync the log on each ledger write (<see cref="WriteOptions.Sync"/>). Default false: survives a process crash, not a power loss.</summary>
    public bool SyncWrites { get; set; }

    /// <summary>
    /// The ECDSA P-256 key that signs the ledger's checkpoints (<see cref="Ledger.GetCheckpoint"/>;
    /// the caller keeps ownership). Null (the default): a key made at the first open and kept in
    /// the ledger's <c>ledger.merkle</c> family, sealed on disk when <see cref="Encrypted"/>; give
    /// your own to keep it in an OS key store or HSM instead.
    /// </summary>
    public System.Security.Cryptography.ECDsa? SigningKey { get; set; }

    /// <summary>
    /// The origin line of the ledger's checkpoints (C2SP signed-note style: it names the log).
    /// Null (the default): <c>latticekv.ledger/</c> followed by the database's replica id. Must stay
    /// the same for the life of the ledger: peers refuse a checkpoint whose origin changed.
    /// </summary>
    public string? Origin { get; set; }

    /// <summary>
    /// The chains <see cref="Ledger.VerifyAgainstNetworkAsync"/> and <see cref="Ledger.Verify"/>
    /// know (proof-of-work limits, retarget rules) and how many headers of evidence they keep.
    /// Null (the default): Bitcoin's main network, testnet and regtest under the chain ids
    /// <c>bitcoin</c>, <c>bitcoin-testnet</c> and <c>bitcoin-regtest</c>.
    /// </summary>
    public NetworkVerifierOptions? NetworkVerification { get; set; }

    internal void Validate()
    {
        if (FinalityDepth is < 1 or > 10_000)
            throw new LedgerArgumentException("FinalityDepth must be between 1 and 10,000.", nameof(FinalityDepth));
        if (SigningKey is { KeySize: not 256 })
            throw new LedgerArgumentException("SigningKey must be an ECDSA P-256 key.", nameof(SigningKey));
        if (Origin is not null && (Origin.Length is 0 or > 256 || Origin.Any(c => char.IsControl(c)) || Origin.StartsWith('\u2014')))
            throw new LedgerArgumentException("Origin must be 1 to 256 characters without control characters.", nameof(Origin));
    }
}
