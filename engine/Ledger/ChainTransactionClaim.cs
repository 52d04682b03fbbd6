namespace LatticeKV.Ledger;

/// <summary>
/// What the ledger stored about one transaction of a Bitcoin-style chain, to be checked against
/// the network: <see cref="RawTransaction"/> must hash to <see cref="TransactionId"/>, and the
/// transaction must sit at <see cref="Position"/> in the block <see cref="BlockHash"/> at
/// <see cref="BlockHeight"/>.
/// </summary>
/// <param name="ChainId">The chain, a key of <see cref="NetworkVerifierOptions.Chains"/> ("bitcoin").</param>
/// <param name="TransactionId">The txid (double SHA-256 of the serialization without witnesses).</param>
/// <param name="BlockHeight">Height of the block that holds the transaction.</param>
/// <param name="BlockHash">Hash of that block.</param>
/// <param name="Position">Index of the transaction in the block (0 is the coinbase).</param>
/// <param name="RawTransaction">The serialized transaction as the network relays it (witnesses allowed).</param>
public sealed record ChainTransactionClaim(string ChainId, ChainHash TransactionId, long BlockHeight, ChainHash BlockHash, int Position, ReadOnlyMemory<byte> RawTransaction);
