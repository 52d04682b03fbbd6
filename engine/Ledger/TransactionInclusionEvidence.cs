namespace LatticeKV.Ledger;

/// <summary>
/// What a node says about where a transaction was mined (<see cref="INetworkStateProvider"/>):
/// the block, the transaction's index in it, and the Merkle branch from its txid to the block's
/// Merkle root (sibling hashes, lowest level first, as Bitcoin Core's gettxoutproof carries them).
/// Untrusted: the verifier checks every part.
/// </summary>
/// <param name="BlockHash">The block the node says holds the transaction.</param>
/// <param name="BlockHeight">That block's height on the node's best chain.</param>
/// <param name="Position">The transaction's index in the block.</param>
/// <param name="Branch">Sibling hashes from the leaf up; empty for a block of one transaction.</param>
/// <param name="Witness">For a transaction with witnesses, what binds them to the block; without it such a transaction fails with <see cref="NetworkVerificationFailure.WitnessNotCommitted"/>.</param>
public sealed record TransactionInclusionEvidence(ChainHash BlockHash, long BlockHeight, int Position, IReadOnlyList<ChainHash> Branch, WitnessCommitmentEvidence? Witness = null);
