namespace LatticeKV.Ledger;

/// <summary>
/// What proves a transaction's witnesses (BIP 141), which its txid leaves out: the block's
/// coinbase transaction with its Merkle branch (position 0 of the txid tree), and the branch of
/// the transaction's wtxid in the block's witness tree (whose first leaf is all zeros). The
/// coinbase commits to that tree's root in an output; its witness holds the reserved value
/// hashed with it. Needed for transactions that carry witnesses; untrusted, checked in full.
/// </summary>
/// <param name="CoinbaseTransaction">The block's first transaction, serialized with its witness.</param>
/// <param name="CoinbaseBranch">Merkle branch of the coinbase's txid at position 0, lowest level first.</param>
/// <param name="WitnessBranch">Merkle branch of the transaction's wtxid in the witness tree, lowest level first.</param>
public sealed record WitnessCommitmentEvidence(ReadOnlyMemory<byte> CoinbaseTransaction, IReadOnlyList<ChainHash> CoinbaseBranch, IReadOnlyList<ChainHash> WitnessBranch);
