namespace LatticeKV.Metrics;

/// <summary>
/// A counter many threads bump on a read path: each thread adds to one of several slots a cache
/// line apart (chosen by its thread id), so readers on different cores do not contend for one
/// line; <see cref="Value"/> sums the slots.
/// </summary>
internal sealed class StripedCounter
{
    private const int Stripes = 16;
    private const int LongsPerLine = 8; // a 64-byte cache line

    private readonly long[] _slots = new long[Stripes * LongsPerLine];

    public void Increment() => Interlocked.Increment(ref _slots[(Environment.CurrentManagedThreadId & (Stripes - 1)) * LongsPerLine]);

    public long Value
    {
        get
        {
            long sum = 0;
            for (int i = 0; i < Stripes; i++) sum += Volatile.Read(ref _slots[i * LongsPerLine]);
            return sum;
        }
    }
}
