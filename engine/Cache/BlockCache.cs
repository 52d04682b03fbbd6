namespace LatticeKV.Cache;

/// <summary>
/// A scan-resistant cache of decoded blocks shared by every table and column family of a
/// database, using S3-FIFO (Yang et al., SOSP 2023). A new block enters a small probation
/// FIFO (10% of capacity); only a block hit while there moves to the main FIFO, so a long scan
/// churns probation alone and cannot flush the hot set, as plain LRU would. Main evicts in FIFO
/// order, giving a block one more round per recent hit. Recently evicted probation entries are
/// remembered ("ghosts") so a block that returns soon goes straight to main.
/// Each table owns a <see cref="Slots"/> array indexed by block number: a lookup is one array
/// read with no hashing and no lock, and a hit only bumps the block's counter. Inserts and
/// evictions lock one of 16 shards; evicting clears the slot. Memory pinned outside the cache
/// (index and filter blocks of open tables) is charged with <see cref="AddPinned"/>.
/// A value learns when the cache takes and drops it (<see cref="CacheEntry.OnCacheInserted"/>,
/// <see cref="CacheEntry.OnCacheEvicted"/>); a lookup that needs the value beyond the moment
/// must take its own hold on it (blocks: <c>Block.TryPin</c>), since it may be evicted at once.
/// </summary>
internal sealed class BlockCache<TValue> where TValue : CacheEntry
{
    private const int ShardCount = 16;
    private const long MinShardCapacity = 64 * 1024;
    private readonly Shard[] _shards;
    private long _pinned;
    private long _hits;
    private long _misses;

    private long _capacity;

    public BlockCache(long capacity)
    {
        _capacity = Math.Max(0, capacity);
        _shards = new Shard[ShardCount];
        for (int i = 0; i < ShardCount; i++) _shards[i] = new Shard(this);
    }

    public long Capacity => Volatile.Read(ref _capacity);

    /// <summary>Changes the capacity; a smaller one evicts what no longer fits at once.</summary>
    public void SetCapacity(long capacity)
    {
        long old = Interlocked.Exchange(ref _capacity, Math.Max(0, capacity));
        if (capacity < old)
            foreach (var shard in _shards) shard.Trim();
    }

    /// <summary>Bytes held by cached blocks.</summary>
    public long Usage => _shards.Sum(s => s.Usage);

    /// <summary>Bytes pinned outside the cache but charged to it.</summary>
    public long PinnedUsage => Volatile.Read(ref _pinned);

    public long Hits => Volatile.Read(ref _hits);

    public long Misses => Volatile.Read(ref _misses);

    public long Count => _shards.Sum(s => s.Count);

    public void AddPinned(long bytes) => Interlocked.Add(ref _pinned, bytes);

    private long ShardCapacity => Capacity == 0 ? 0 : Math.Max(MinShardCapacity, (Capacity - Volatile.Read(ref _pinned)) / ShardCount);

    /// <summary>Counts blocks loaded ahead of demand that were evicted unused; null when nobody counts.</summary>
    public AnticipationCounters? Counters { get; set; }

    /// <summary>
    /// One table's blocks, by block number; <paramref name="owner"/> names the table (its file
    /// number). The array is allocated by the first insert: a table written by a flush or a
    /// compaction and replaced before anything reads it through the cache (compaction reads with
    /// the cache off) never needs one, and one per table is a large array the collector would
    /// otherwise keep until a full collection after the table is deleted.
    /// </summary>
    public sealed class Slots(int count, long owner = 0)
    {
        private TValue?[]? _items;
        internal readonly int Seed = Random.Shared.Next();

        public int Count { get; } = count;

        /// <summary>The slots, null until the first insert.</summary>
        internal TValue?[]? ItemsOrNull => Volatile.Read(ref _items);

        /// <summary>The slots, allocated if no insert has been yet.</summary>
        internal TValue?[] Items => Volatile.Read(ref _items) ?? Allocate();

        private TValue?[] Allocate()
        {
            var fresh = new TValue?[Count];
            return Interlocked.CompareExchange(ref _items, fresh, null) ?? fresh;
        }

        public long Owner { get; } = owner;

        /// <summary>
        /// Whether <see cref="HotEntries"/> lists these values: false for values a preload cannot
        /// read back as a table's block by its position (blob values), which then take no part
        /// of the hot set's budget.
        /// </summary>
        public bool InHotSet { get; init; } = true;
    }

    /// <summary>
    /// The blocks the cache holds as frequently used, up to <paramref name="maxBytes"/> of them:
    /// first those in main (hit while on probation), then those hit while still on probation.
    /// Takes each shard's lock in turn, never the hit path's.
    /// </summary>
    public List<(Slots Slots, int Index, int Charge)> HotEntries(long maxBytes)
    {
        var hot = new List<(Slots, int, int)>();
        long bytes = 0;
        for (int pass = 0; pass < 2; pass++)
            foreach (var shard in _shards)
                if (!shard.CollectHot(hot, pass == 0, maxBytes, ref bytes)) return hot;
        return hot;
    }

    public TValue? Lookup(Slots slots, int index)
    {
        var entry = Peek(slots, index);
        if (entry is not null)
        {
            // Racy increments are fine: the counter is a hint capped at 3.
            if (entry.CacheFrequency < 3) entry.CacheFrequency++;
            _hits++;
            return entry;
        }
        _misses++;
        return null;
    }

    /// <summary>
    /// <see cref="Lookup"/> for values that keep their own hit and miss counts (blob values): the
    /// value's use counts for eviction, the cache's block statistics stay those of blocks.
    /// </summary>
    public static TValue? Find(Slots slots, int index)
    {
        var entry = Peek(slots, index);
        if (entry is not null && entry.CacheFrequency < 3) entry.CacheFrequency++;
        return entry;
    }

    /// <summary>The cached value without counting a hit, for prefetching ahead of a <see cref="Lookup"/>.</summary>
    public static TValue? Peek(Slots slots, int index)
    {
        var items = slots.ItemsOrNull;
        return items is null ? null : Volatile.Read(ref items[index]);
    }

    /// <summary>Starts loading the slot a coming <see cref="Lookup"/> reads.</summary>
    public static void PrefetchSlot(Slots slots, int index)
    {
        if (slots.ItemsOrNull is { } items) Coding.CpuCache.Prefetch(ref items[index]);
    }

    public void Insert(Slots slots, int index, TValue value, int charge)
    {
        if (Capacity == 0) return;
        uint h = (uint)slots.Seed ^ ((uint)index * 0x9E3779B1u);
        _shards[(h * 0x9E3779B1u) >> 28].Insert(slots, index, value, charge);
    }


    private void CountIfWasted(TValue e)
    {
        int origin = Interlocked.Exchange(ref e.Anticipation, 0);
        if (origin != 0) Counters?.RecordWasted((WarmOrigin)origin);
    }

    private sealed class Shard(BlockCache<TValue> owner)
    {
        private readonly Lock _lock = new();
        // Guarded by _lock.
        private readonly Queue<TValue> _small = new();
        private readonly Queue<TValue> _main = new();
        private readonly Queue<(Slots, int)> _ghostOrder = new();
        private readonly HashSet<(Slots, int)> _ghosts = [];
        private long _smallBytes;
        private long _mainBytes;

        public long Usage
        {
            get { lock (_lock) return _smallBytes + _mainBytes; }
        }

        public long Count
        {
            get { lock (_lock) return _small.Count + _main.Count; }
        }

        public void Insert(Slots slots, int index, TValue value, int charge)
        {
            lock (_lock)
            {
                if (Volatile.Read(ref slots.Items[index]) is not null || value.CacheSlots is not null) return;
                var entry = value;
                entry.CacheSlots = slots;
                entry.CacheIndex = index;
                entry.CacheCharge = charge;
                entry.OnCacheInserted();
                Volatile.Write(ref slots.Items[index], entry);
                if (_ghosts.Remove((slots, index)))
                {
                    _main.Enqueue(entry);
                    _mainBytes += charge;
                }
                else
                {
                    _small.Enqueue(entry);
                    _smallBytes += charge;
                }
                EvictOverCapacity();
            }
        }

        /// <summary>Adds entries of main (or those of probation already hit); false once <paramref name="maxBytes"/> is reached.</summary>
        public bool CollectHot(List<(Slots, int, int)> into, bool main, long maxBytes, ref long bytes)
        {
            lock (_lock)
            {
                foreach (var e in main ? _main : _small)
                {
                    if (!main && e.CacheFrequency == 0) continue;
                    if (!((Slots)e.CacheSlots!).InHotSet) continue;
                    if (bytes + e.CacheCharge > maxBytes) return false;
                    bytes += e.CacheCharge;
                    into.Add(((Slots)e.CacheSlots!, e.CacheIndex, e.CacheCharge));
                }
            }
            return true;
        }

        /// <summary>Evicts until the shard fits its share of the capacity.</summary>
        public void Trim()
        {
            lock (_lock) EvictOverCapacity();
        }

        // Caller holds _lock.
        private void EvictOverCapacity()
        {
            long capacity = owner.ShardCapacity;
            while (_smallBytes + _mainBytes > capacity && (_small.Count > 0 || _main.Count > 0))
            {
                if (_smallBytes > capacity / 10 || _main.Count == 0) EvictSmall();
                else EvictMain();
            }
        }

        private void EvictSmall()
        {
            var e = _small.Dequeue();
            _smallBytes -= e.CacheCharge;
            if (e.CacheFrequency > 0)
            {
                // Hit while on probation: it earned a place in main.
                e.CacheFrequency = 0;
                _main.Enqueue(e);
                _mainBytes += e.CacheCharge;
                return;
            }
            var slots = (Slots)e.CacheSlots!;
            int index = e.CacheIndex;
            Interlocked.CompareExchange(ref slots.Items[index], null, e);
            owner.CountIfWasted(e);
            // Its last holder may be the cache: released, the entry may at once be reused for another block.
            e.OnCacheEvicted();
            _ghosts.Add((slots, index));
            _ghostOrder.Enqueue((slots, index));
            while (_ghostOrder.Count > Math.Max(64, _main.Count))
                _ghosts.Remove(_ghostOrder.Dequeue());
        }

        private void EvictMain()
        {
            // Each recent hit buys one more trip round the queue.
            while (true)
            {
                var e = _main.Dequeue();
                if (e.CacheFrequency > 0)
                {
                    e.CacheFrequency--;
                    _main.Enqueue(e);
                    continue;
                }
                _mainBytes -= e.CacheCharge;
                Interlocked.CompareExchange(ref ((Slots)e.CacheSlots!).Items[e.CacheIndex], null, e);
                owner.CountIfWasted(e);
                e.OnCacheEvicted();
                return;
            }
        }
    }
}
