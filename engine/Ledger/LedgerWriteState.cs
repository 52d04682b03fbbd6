using System.Buffers.Binary;
using LatticeKV.Ledger.Merkle;

namespace LatticeKV.Ledger;

/// <summary>
/// What ledger writes share between batches: the Merkle log, the next arrival number and the
/// chains' tips as committed. Every member is guarded by the ledger's write lock
/// (<see cref="LedgerWriter"/>); a <see cref="LedgerFold"/> reads it and publishes its own changes
/// here only once its batch is committed.
/// </summary>
internal sealed class LedgerWriteState(LedgerFamilies families, MerkleLog merkle, ulong nextArrival)
{
    private readonly Dictionary<string, long?> _tips = new(StringComparer.Ordinal);

    internal MerkleLog Merkle { get; } = merkle;

    // Balances as the last committed fold left them, so the overflow check of the next fold does
    // not read a balance (a chain of merge operands) per posting. Only the ledger's writer changes
    // balances, under its lock, so what is here is what is stored. Bounded: cleared when full.
    private const int MaxCachedBalances = 1 << 20;
    private readonly Dictionary<(string, string, string), Int128> _balances = [];

    internal bool TryGetBalance((string, string, string) id, out Int128 balance) => _balances.TryGetValue(id, out balance);

    internal void PublishBalances(Dictionary<(string, string, string), Int128> balances)
    {
        if (_balances.Count + balances.Count > MaxCachedBalances) _balances.Clear();
        foreach (var (id, balance) in balances) _balances[id] = balance;
    }

    internal ulong NextArrival { get; set; } = nextArrival;

    /// <summary>Reads the next arrival number stored in <c>ledger.meta</c> (0 for a new ledger).</summary>
    internal static ulong LoadArrival(LedgerFamilies families)
        => families.Db.Get(families.Meta, LedgerKeys.ArrivalKey) is { } v
            ? v.Length == 8 ? BinaryPrimitives.ReadUInt64LittleEndian(v) : throw new CorruptionException("ledger arrival counter is not 8 bytes")
            : 0;

    /// <summary>The committed tip of <paramref name="chain"/> (null: never set).</summary>
    internal long? Tip(string chain)
    {
        if (_tips.TryGetValue(chain, out var tip)) return tip;
        tip = ReadTip(families, chain);
        _tips[chain] = tip;
        return tip;
    }

    internal void PublishTip(string chain, long? tip) => _tips[chain] = tip;

    internal static long? ReadTip(LedgerFamilies families, string chain, ReadOptions? options = null)
        => families.Db.Get(families.Meta, LedgerKeys.Tip(chain), options) is { } v
            ? v.Length == 8 ? BinaryPrimitives.ReadInt64LittleEndian(v) : throw new CorruptionException("ledger chain tip is not 8 bytes")
            : null;
}
