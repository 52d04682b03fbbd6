using System.Diagnostics;
using System.Runtime.CompilerServices;
using LatticeKV.Keys;

namespace LatticeKV.Transactions;

/// <summary>
/// Exclusive per-key locks of pessimistic transactions, one table per database: a key (column
/// family id + key bytes) is held by at most one transaction until that transaction ends.
/// Striped: a key's stripe is chosen by its hash, and waiters sleep on their stripe's monitor,
/// so unrelated keys rarely contend. A waiter that would close a cycle in the wait-for graph
/// fails at once (<see cref="TransactionDeadlockException"/>); one that waits past its timeout
/// fails (<see cref="TransactionTimeoutException"/>). Nothing waits forever on a cycle.
/// </summary>
/// <remarks>
/// Lock order: a stripe's monitor, then <see cref="_graphLock"/> (a leaf). The wait-for graph has
/// at most one edge out of each transaction (a waiter waits for one key, held by one owner),
/// so a cycle check follows a single chain. Edges are added and checked atomically under
/// <see cref="_graphLock"/>: of two transactions closing a cycle together, the later sees the
/// earlier's edge. An edge may outlive its holder's release until the waiter wakes, but it then
/// points at a finished transaction, which waits for nothing, so it closes no false cycle.
/// </remarks>
internal sealed class LockTable
{
    private const int StripeCount = 64;

    private static readonly ConditionalWeakTable<LatticeDb, LockTable> Tables = [];

    private readonly Stripe[] _stripes;

    // Guarded by _graphLock: waiter id -> id of the transaction holding the key it waits for.
    private readonly Lock _graphLock = new();
    private readonly Dictionary<long, long> _waitsFor = [];

    private LockTable()
    {
        _stripes = new Stripe[StripeCount];
        for (int i = 0; i < _stripes.Length; i++) _stripes[i] = new Stripe();
    }

    /// <summary>The lock table of <paramref name="db"/> (created on first use).</summary>
    public static LockTable For(LatticeDb db) => Tables.GetValue(db, static _ => new LockTable());

    /// <summary>
    /// Locks <paramref name="key"/> of <paramref name="columnFamily"/> for <paramref name="owner"/>,
    /// waiting while another transaction holds it. Returns true when newly taken, false when
    /// <paramref name="owner"/> already held it.
    /// </summary>
    public bool Acquire(long owner, ColumnFamilyHandle columnFamily, byte[] key, TimeSpan timeout)
    {
        var lockKey = new LockKey(columnFamily.Id, key);
        var stripe = _stripes[(uint)lockKey.GetHashCode() % StripeCount];
        long start = Stopwatch.GetTimestamp();
        lock (stripe)
        {
            while (true)
            {
                if (!stripe.Holders.TryGetValue(lockKey, out long holder))
                {
                    stripe.Holders.Add(lockKey, owner);
                    return true;
                }
                if (holder == owner) return false;
                WaitFor(owner, holder, columnFamily);
                try
                {
                    TimeSpan left = timeout == Timeout.InfiniteTimeSpan ? timeout : timeout - Stopwatch.GetElapsedTime(start);
                    if (left != Timeout.InfiniteTimeSpan && left <= TimeSpan.Zero)
                        throw new TransactionTimeoutException(columnFamily.Name, Stopwatch.GetElapsedTime(start));
                    // Woken by a release on this stripe (maybe of another key) or by the timer, which
                    // may fire a little early: the loop looks at the holder and the clock again.
                    Monitor.Wait(stripe, left);
                }
                finally
                {
                    lock (_graphLock) _waitsFor.Remove(owner);
                }
            }
        }
    }

    /// <summary>Releases <paramref name="keys"/> (all held by <paramref name="owner"/>) and wakes their waiters.</summary>
    public void ReleaseAll(long owner, IEnumerable<(uint ColumnFamily, byte[] Key)> keys)
    {
        foreach (var (cf, key) in keys)
        {
            var lockKey = new LockKey(cf, key);
            var stripe = _stripes[(uint)lockKey.GetHashCode() % StripeCount];
            lock (stripe)
            {
                if (stripe.Holders.TryGetValue(lockKey, out long holder) && holder == owner)
                {
                    stripe.Holders.Remove(lockKey);
                    Monitor.PulseAll(stripe);
                }
            }
        }
    }

    /// <summary>Adds the edge owner -> holder, failing instead when the holder's chain of waits leads back to the owner.</summary>
    private void WaitFor(long owner, long holder, ColumnFamilyHandle columnFamily)
    {
        lock (_graphLock)
        {
            // The chain has no cycle before this edge (every earlier edge passed this check), so
            // it ends within as many steps as there are edges.
            long at = holder;
            for (int steps = 0; steps <= _waitsFor.Count; steps++)
            {
                if (at == owner) throw new TransactionDeadlockException(columnFamily.Name);
                if (!_waitsFor.TryGetValue(at, out at)) break;
            }
            _waitsFor[owner] = holder;
        }
    }

    /// <summary>Keys held in one stripe and their owners. Guarded by the stripe's monitor.</summary>
    private sealed class Stripe
    {
        public Dictionary<LockKey, long> Holders { get; } = [];
    }

    private readonly struct LockKey(uint columnFamily, byte[] key) : IEquatable<LockKey>
    {
        private readonly uint _columnFamily = columnFamily;
        private readonly byte[] _key = key;

        public bool Equals(LockKey other) => _columnFamily == other._columnFamily && _key.AsSpan().SequenceEqual(other._key);

        public override bool Equals(object? obj) => obj is LockKey other && Equals(other);

        public override int GetHashCode() => HashCode.Combine(_columnFamily, KeyBytesEquality.Instance.GetHashCode(_key));
    }
}
