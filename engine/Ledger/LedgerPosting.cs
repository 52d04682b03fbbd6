namespace LatticeKV.Ledger;

/// <summary>
/// One movement of a transaction: <paramref name="Amount"/> minor units (satoshi, wei, cents) of
/// <paramref name="Asset"/> into <paramref name="Account"/> (negative: out of it).
/// </summary>
/// <remarks>
/// Amounts are <see cref="Int128"/>: exact integers, wide enough for any token supply counted in
/// its smallest unit (wei amounts exceed a 64-bit integer), fixed-size on disk and free of the
/// allocations <see cref="System.Numerics.BigInteger"/> would cost on every balance update. A sum
/// that leaves its range is an error (<see cref="LedgerArgumentException"/> when appended,
/// <see cref="MergeException"/> when a balance is read), never a wrap.
/// </remarks>
/// <param name="Account">The account (1 to 256 UTF-8 bytes).</param>
/// <param name="Asset">The asset (1 to 64 UTF-8 bytes), for example "BTC" or a token contract.</param>
/// <param name="Amount">Signed amount in minor units.</param>
public readonly record struct LedgerPosting(string Account, string Asset, Int128 Amount);
