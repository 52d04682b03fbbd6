using System.Collections.Concurrent;

namespace LatticeKV.Cache;

/// <summary>
/// A scan-resistant cache of decoded blocks shared by every table and column family of a
/// database, using S3-FIFO (Yang et al., SOSP 2023). A new block enters a small probation
/// FIFO (10% of capacity); only a block hit while there moves to the main FIFO, so a long scan
/// churns probation alone and cannot flush the hot set, as plain LRU would. Main evicts in FIFO
/// order, giving a block one more round per recent hit. Keys evicted from probation are
/// remembered ("ghosts") so a block that returns soon goes straight to main.
/// Lookups take no lock: a hit only bumps the block's counter. Inserts and evictions lock one
/// of 16 shards. Memory pinned outside the cache (index and filter blocks of open tables) is
/// charged with <see cref="AddPinned"/> and shrinks what the cache may hold.
/// </summary>
internal sealed class BlockCache<TValue> where TValue : class
{
    private const int ShardCount = 16;
    private const long MinShardCapacity = 64 * 1024;
    private readonly ConcurrentDictionary<CacheKey, Entry> _map;
    private readonly Shard[] _shards;
    private long _pinned;
    private long _hits;
    private long _misses;
    private static long s_nextId;

    public BlockCache(long capacity)
    {
        Capacity = Math.Max(0, capacity);
        _map = new ConcurrentDictionary<CacheKey, Entry>(Environment.ProcessorCount * 4, 1024);
        _shards = new Shard[ShardCount];
        for (int i = 0; i < ShardCount; i++) _shards[i] = new Shard(this);
    }

    public long Capacity { get; }

    /// <summary>Bytes held by cached blocks.</summary>
    public long Usage => _shards.Sum(s => s.Usage);

    /// <summary>Bytes pinned outside the cache but charged to it.</summary>
    public long PinnedUsage => Volatile.Read(ref _pinned);

    public long Hits => Volatile.Read(ref _hits);

    public long Misses => Volatile.Read(ref _misses);

    public long Count => _map.Count;

    /// <summary>A process-unique id for a table's blocks in any cache.</summary>
    public static ulong NewId() => (ulong)Interlocked.Increment(ref s_nextId);

    public void AddPinned(long bytes) => Interlocked.Add(ref _pinned, bytes);

    private long ShardCapacity => Math.Max(MinShardCapacity, (Capacity - Volatile.Read(ref _pinned)) / ShardCount);

    public TValue? Lookup(ulong id, long offset)
    {
        if (_map.TryGetValue(new CacheKey(id, offset), out var entry))
        {
            // Racy increments are fine: the counter is a hint capped at 3.
            if (entry.Frequency < 3) entry.Frequency++;
            _hits++;
            return entry.Value;
        }
        _misses++;
        return null;
    }

    public void Insert(ulong id, long offset, TValue value, int charge)
    {
        if (Capacity == 0) return;
        var key = new CacheKey(id, offset);
        _shards[ShardOf(key)].Insert(key, value, charge);
    }

    private static int ShardOf(CacheKey key)
    {
        ulong h = (key.Id * 0x9E3779B97F4A7C15UL) ^ ((ulong)key.Offset * 0xC2B2AE3D27D4EB4FUL);
        return (int)(h >> 60);
    }

    private readonly record struct CacheKey(ulong Id, long Offset);

    private sealed class Entry(CacheKey key, TValue value, int charge)
    {
        public readonly CacheKey Key = key;
        public readonly TValue Value = value;
        public readonly int Charge = charge;
        public volatile int Frequency;
    }

    private sealed class Shard(BlockCache<TValue> owner)
    {
        private readonly Lock _lock = new();
        // Guarded by _lock.
        private readonly Queue<Entry> _small = new();
        private readonly Queue<Entry> _main = new();
        private readonly Queue<CacheKey> _ghostOrder = new();
        private readonly HashSet<CacheKey> _ghosts = [];
        private long _smallBytes;
        private long _mainBytes;

        public long Usage
        {
            get { lock (_lock) return _smallBytes + _mainBytes; }
        }

        public void Insert(CacheKey key, TValue value, int charge)
        {
            lock (_lock)
            {
                if (owner._map.ContainsKey(key)) return;
                var entry = new Entry(key, value, charge);
                owner._map[key] = entry;
                if (_ghosts.Remove(key))
                {
                    _main.Enqueue(entry);
                    _mainBytes += charge;
                }
                else
                {
                    _small.Enqueue(entry);
                    _smallBytes += charge;
                }
                long capacity = owner.ShardCapacity;
                while (_smallBytes + _mainBytes > capacity && (_small.Count > 0 || _main.Count > 0))
                {
                    if (_smallBytes > capacity / 10 || _main.Count == 0) EvictSmall();
                    else EvictMain();
                }
            }
        }

        private void EvictSmall()
        {
            var e = _small.Dequeue();
            _smallBytes -= e.Charge;
            if (e.Frequency > 0)
            {
                // Hit while on probation: it earned a place in main.
                e.Frequency = 0;
                _main.Enqueue(e);
                _mainBytes += e.Charge;
                return;
            }
            owner._map.TryRemove(e.Key, out _);
            _ghosts.Add(e.Key);
            _ghostOrder.Enqueue(e.Key);
            while (_ghostOrder.Count > Math.Max(64, _main.Count))
                _ghosts.Remove(_ghostOrder.Dequeue());
        }

        private void EvictMain()
        {
            // Each recent hit buys one more trip round the queue.
            while (true)
            {
                var e = _main.Dequeue();
                if (e.Frequency > 0)
                {
                    e.Frequency--;
                    _main.Enqueue(e);
                    continue;
                }
                _mainBytes -= e.Charge;
                owner._map.TryRemove(e.Key, out _);
                return;
            }
        }
    }
}
