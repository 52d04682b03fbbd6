namespace LatticeKV.Ledger;

/// <summary>An RFC 9162 consistency proof between the trees of <paramref name="OldSize"/> and <paramref name="NewSize"/> leaves.</summary>
/// <param name="OldSize">The older tree's size.</param>
/// <param name="NewSize">The newer tree's size.</param>
/// <param name="Hashes">The proof's hashes.</param>
public sealed record ConsistencyProof(long OldSize, long NewSize, IReadOnlyList<byte[]> Hashes);
