using System.Numerics;

namespace LatticeKV.Metrics;

/// <summary>
/// Latency quantiles per <see cref="OperationKind"/> over the last few minutes, for alerts:
/// log-linear buckets (four per power of two of nanoseconds, so a quantile is within about an
/// eighth of the truth) kept per slot of <see cref="SlotDuration"/>, in a ring of
/// <see cref="SlotCount"/> slots that are reused as time moves on. Memory is bounded (a kind's
/// ring is made on its first record); recording is an interlocked increment, with a lock only
/// when a slot is reused, once per slot duration.
/// </summary>
/// <remarks>
/// A record that races a slot's reuse may land in the new interval or be cleared with the old
/// one: one sample out of place at a slot boundary does not move a quantile an alert reads.
/// </remarks>
internal sealed class LatencyWindow
{
    public const int SlotCount = 16;
    public static readonly TimeSpan SlotDuration = TimeSpan.FromSeconds(20);

    private const int SubBuckets = 4;
    private const int MaxExponent = 41; // about 36 minutes in nanoseconds: longer is counted there
    private const int BucketCount = SubBuckets * (MaxExponent - 1);

    private readonly long _slotTicks;
    private readonly double _nanosPerTick;
    private readonly Slot[]?[] _kinds = new Slot[]?[Enum.GetValues<OperationKind>().Length];

    /// <param name="ticksPerSecond">The frequency of the timestamps given to <see cref="Record"/> and <see cref="Quantile"/>.</param>
    public LatencyWindow(long ticksPerSecond)
    {
        _slotTicks = (long)(SlotDuration.TotalSeconds * ticksPerSecond);
        _nanosPerTick = 1e9 / ticksPerSecond;
    }

    /// <summary>The longest window <see cref="Quantile"/> answers for.</summary>
    public static TimeSpan MaxWindow => SlotDuration * (SlotCount - 1);

    public void Record(OperationKind kind, long elapsedTicks, long nowTicks)
    {
        var slots = _kinds[(int)kind] ?? CreateSlots(kind);
        long epoch = nowTicks / _slotTicks;
        var slot = slots[(int)(epoch % SlotCount)];
        long slotEpoch = Volatile.Read(ref slot.Epoch);
        if (slotEpoch != epoch)
        {
            if (slotEpoch > epoch) return; // a clock read before the slot moved on: too old to count
            slot.Reuse(epoch);
        }
        Interlocked.Increment(ref slot.Counts[Bucket((long)(elapsedTicks * _nanosPerTick))]);
    }

    /// <summary>
    /// The <paramref name="q"/> quantile in seconds of <paramref name="kind"/>'s latencies in
    /// the slots that cover the last <paramref name="window"/> (the current slot, partly
    /// elapsed, included), or null when none was recorded.
    /// </summary>
    public double? Quantile(OperationKind kind, double q, TimeSpan window, long nowTicks)
    {
        if (!(q > 0 && q <= 1)) throw new InvalidArgumentException("The quantile must be in (0, 1].", nameof(q));
        if (window <= TimeSpan.Zero || window > MaxWindow)
            throw new InvalidArgumentException($"The window must be positive and at most {MaxWindow}.", nameof(window));
        if (_kinds[(int)kind] is not { } slots) return null;
        long epoch = nowTicks / _slotTicks;
        long oldest = epoch - (long)Math.Ceiling(window / SlotDuration) + 1;
        var counts = new long[BucketCount];
        long total = 0;
        foreach (var slot in slots)
        {
            long e = Volatile.Read(ref slot.Epoch);
            if (e < oldest || e > epoch) continue;
            for (int i = 0; i < BucketCount; i++)
            {
                long c = Volatile.Read(ref slot.Counts[i]);
                counts[i] += c;
                total += c;
            }
        }
        if (total == 0) return null;
        long rank = (long)Math.Ceiling(q * total);
        long seen = 0;
        for (int i = 0; i < BucketCount; i++)
        {
            seen += counts[i];
            if (seen >= rank) return Midpoint(i) / 1e9;
        }
        return Midpoint(BucketCount - 1) / 1e9;
    }

    /// <summary>The bucket of <paramref name="nanos"/>: below four, one per value; above, four per power of two.</summary>
    internal static int Bucket(long nanos)
    {
        if (nanos < SubBuckets) return (int)Math.Max(nanos, 0);
        int exponent = 63 - BitOperations.LeadingZeroCount((ulong)nanos);
        if (exponent >= MaxExponent) return BucketCount - 1;
        int sub = (int)(nanos >> (exponent - 2)) & (SubBuckets - 1);
        return SubBuckets * (exponent - 1) + sub;
    }

    /// <summary>The middle of bucket <paramref name="index"/>, in nanoseconds.</summary>
    internal static double Midpoint(int index)
    {
        if (index < SubBuckets) return index;
        int exponent = index / SubBuckets + 1;
        int sub = index % SubBuckets;
        long width = 1L << (exponent - 2);
        return (SubBuckets + sub) * (double)width + width / 2.0;
    }

    private Slot[] CreateSlots(OperationKind kind)
    {
        var fresh = new Slot[SlotCount];
        for (int i = 0; i < SlotCount; i++) fresh[i] = new Slot();
        return Interlocked.CompareExchange(ref _kinds[(int)kind], fresh, null) ?? fresh;
    }

    private sealed class Slot
    {
        public readonly long[] Counts = new long[BucketCount];
        public long Epoch = -1; // the slot-duration interval the counts belong to

        public void Reuse(long epoch)
        {
            lock (Counts)
            {
                if (Epoch >= epoch) return;
                Array.Clear(Counts);
                Volatile.Write(ref Epoch, epoch);
            }
        }
    }
}
