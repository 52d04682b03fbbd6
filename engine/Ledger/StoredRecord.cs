namespace LatticeKV.Ledger;

/// <summary>A transaction record as stored in <c>ledger.tx</c>: decoded, and its canonical bytes.</summary>
internal sealed record StoredRecord(LedgerTransaction Transaction, byte[] Bytes);
