namespace LatticeKV.Ledger;

/// <summary>Why a transaction failed verification against the network (<see cref="NetworkVerificationResult.Failure"/>).</summary>
public enum NetworkVerificationFailure
{
    /// <summary>Nothing failed: the transaction is verified.</summary>
    None = 0,

    /// <summary>The chain id names no chain the verifier has parameters for (<see cref="NetworkVerifierOptions.Chains"/>).</summary>
    UnsupportedChain = 1,

    /// <summary>The stored raw transaction does not parse, or is 64 bytes without witness (indistinguishable from a Merkle node).</summary>
    MalformedTransaction = 2,

    /// <summary>The double SHA-256 of the raw transaction is not the stored transaction id.</summary>
    TransactionIdMismatch = 3,

    /// <summary>The provider has no inclusion evidence for the transaction (not in a block of its best chain).</summary>
    EvidenceUnavailable = 4,

    /// <summary>The provider's evidence, or the stored evidence, names another block, height or position than the ledger stored, or does not parse.</summary>
    EvidenceMismatch = 5,

    /// <summary>The Merkle branch from the txid at its position does not lead to the header's Merkle root.</summary>
    MerkleBranchMismatch = 6,

    /// <summary>The provider has no header at a height between the block and its tip, or its tip is below the block.</summary>
    HeaderUnavailable = 7,

    /// <summary>The header at the stored height does not hash to the stored block hash.</summary>
    BlockHashMismatch = 8,

    /// <summary>The stored block is known to the provider but is not on its best chain at the stored height (reorganized away).</summary>
    NotOnBestChain = 9,

    /// <summary>A header between the block and the tip does not name its predecessor's hash.</summary>
    BrokenHeaderLink = 10,

    /// <summary>A header's hash exceeds its target, or its bits are negative, overflow or exceed the chain's proof-of-work limit.</summary>
    InvalidProofOfWork = 11,

    /// <summary>A header's difficulty changed where the chain's schedule does not allow it, or by more than a factor of four.</summary>
    InvalidDifficultyTransition = 12,

    /// <summary>The provider threw; its message is in <see cref="NetworkVerificationResult.Message"/>.</summary>
    ProviderFailed = 13,

    /// <summary>The transaction has witnesses and the evidence does not bind them to the block (no witness evidence, or its coinbase, branches or commitment do not match).</summary>
    WitnessNotCommitted = 14,
}
