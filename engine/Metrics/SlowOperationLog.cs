namespace LatticeKV.Metrics;

/// <summary>
/// The newest slow operations of one database (a ring of <see cref="Capacity"/>), and the seam
/// that hands each to the event system as it happens. Slow operations are rare, so a lock and
/// an allocation per entry are fine here.
/// </summary>
internal sealed class SlowOperationLog
{
    public const int Capacity = 256;

    private readonly Lock _lock = new();
    // Guarded by _lock: a ring, _next is where the next entry goes.
    private readonly SlowOperation[] _ring = new SlowOperation[Capacity];
    private int _next;
    private int _count;

    /// <summary>Called with each slow operation after it is kept (the event system's seam; null: none).</summary>
    public Action<SlowOperation>? Observer { get; set; }

    public void Add(SlowOperation operation)
    {
        lock (_lock)
        {
            _ring[_next] = operation;
            _next = (_next + 1) % Capacity;
            if (_count < Capacity) _count++;
        }
        try
        {
            Observer?.Invoke(operation);
        }
        catch (Exception)
        {
            // The observer's failure must not fail the read or write that happened to be slow.
        }
    }

    /// <summary>The kept entries, oldest first.</summary>
    public IReadOnlyList<SlowOperation> Snapshot()
    {
        lock (_lock)
        {
            var result = new SlowOperation[_count];
            int start = (_next - _count + Capacity) % Capacity;
            for (int i = 0; i < _count; i++) result[i] = _ring[(start + i) % Capacity];
            return result;
        }
    }
}
