namespace LatticeKV.Memtable;

/// <summary>
/// Arena chunks of flushed memtables, kept for the memtables that follow. A 64 MiB memtable is
/// 64 one-MiB chunks on the large object heap, which only a full collection frees: without
/// reuse, every flushed memtable stays resident as garbage until then, and a steady writer's
/// memory holds several memtables' worth of it. Chunks come back only when no reader can still
/// see them (<see cref="MemTable.Unref"/>). Holds at most <c>capacity</c> bytes; the rest is
/// left to the collector. Thread-safe.
/// </summary>
internal sealed class ArenaChunkPool(long capacity)
{
    private readonly Lock _lock = new();
    // Guarded by _lock: free chunks by size (a database has one chunk size per write buffer size).
    private readonly Dictionary<int, Stack<byte[]>> _free = [];
    private long _bytes;

    /// <summary>Bytes of chunks waiting to be reused.</summary>
    public long Bytes
    {
        get { lock (_lock) return _bytes; }
    }

    /// <summary>A chunk of exactly <paramref name="size"/> bytes; its contents are undefined.</summary>
    public byte[] Rent(int size)
    {
        lock (_lock)
        {
            if (_free.TryGetValue(size, out var stack) && stack.TryPop(out var chunk))
            {
                _bytes -= size;
                return chunk;
            }
        }
        return GC.AllocateUninitializedArray<byte>(size);
    }

    /// <summary>Takes back a chunk no reader can reach any more.</summary>
    public void Return(byte[] chunk)
    {
        lock (_lock)
        {
            if (_bytes + chunk.Length > capacity) return;
            if (!_free.TryGetValue(chunk.Length, out var stack)) _free[chunk.Length] = stack = new Stack<byte[]>();
            stack.Push(chunk);
            _bytes += chunk.Length;
        }
    }
}
