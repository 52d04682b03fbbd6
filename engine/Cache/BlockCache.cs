namespace LatticeKV.Cache;

/// <summary>
/// A sharded segmented-LRU cache of decoded blocks, shared by every table and column family
/// of a database. New blocks enter a probation segment; only a second hit promotes a block to
/// the protected segment (80% of capacity). A long scan therefore churns probation alone and
/// cannot flush the hot working set, which plain LRU would. Each shard has its own lock; a
/// block is placed by the hash of (table cache id, block offset).
/// Memory pinned outside the cache (index and filter blocks of open tables) is charged with
/// <see cref="AddPinned"/> and shrinks what the shards may hold.
/// </summary>
internal sealed class BlockCache<TValue> where TValue : class
{
    private const int ShardCount = 16;
    private const long MinShardCapacity = 64 * 1024;
    private readonly Shard[] _shards;
    private long _pinned;
    private static long s_nextId;

    public BlockCache(long capacity)
    {
        Capacity = Math.Max(0, capacity);
        _shards = new Shard[ShardCount];
        for (int i = 0; i < ShardCount; i++) _shards[i] = new Shard(this);
    }

    public long Capacity { get; }

    /// <summary>Bytes held by cached blocks.</summary>
    public long Usage => _shards.Sum(s => s.Usage);

    /// <summary>Bytes pinned outside the cache but charged to it.</summary>
    public long PinnedUsage => Volatile.Read(ref _pinned);

    public long Hits => _shards.Sum(s => s.Hits);

    public long Misses => _shards.Sum(s => s.Misses);

    public long Count => _shards.Sum(s => s.Count);

    /// <summary>A process-unique id for a table's blocks in any cache.</summary>
    public static ulong NewId() => (ulong)Interlocked.Increment(ref s_nextId);

    public void AddPinned(long bytes) => Interlocked.Add(ref _pinned, bytes);

    private long ShardCapacity => Math.Max(MinShardCapacity, (Capacity - Volatile.Read(ref _pinned)) / ShardCount);

    public TValue? Lookup(ulong id, long offset)
    {
        var key = new CacheKey(id, offset);
        return ShardFor(key).Lookup(key);
    }

    public void Insert(ulong id, long offset, TValue value, int charge)
    {
        if (Capacity == 0) return;
        var key = new CacheKey(id, offset);
        ShardFor(key).Insert(key, value, charge);
    }

    /// <summary>Drops every block of a table (its file was deleted).</summary>
    public void EraseTable(ulong id)
    {
        foreach (var s in _shards) s.EraseId(id);
    }

    private Shard ShardFor(CacheKey key)
    {
        ulong h = (key.Id * 0x9E3779B97F4A7C15UL) ^ ((ulong)key.Offset * 0xC2B2AE3D27D4EB4FUL);
        return _shards[(int)(h >> 60)];
    }

    private readonly record struct CacheKey(ulong Id, long Offset);

    private sealed class Node
    {
        public CacheKey Key;
        public TValue? Value;
        public int Charge;
        public bool Protected;
        public Node? Prev;
        public Node? Next;
    }

    private sealed class Shard(BlockCache<TValue> owner)
    {
        private readonly Lock _lock = new();
        // Guarded by _lock.
        private readonly Dictionary<CacheKey, Node> _map = [];
        private readonly Node _probation = NewSentinel();
        private readonly Node _protected = NewSentinel();
        private long _usage;
        private long _protectedUsage;
        private long _hits;
        private long _misses;

        public long Usage { get { lock (_lock) return _usage; } }
        public long Hits { get { lock (_lock) return _hits; } }
        public long Misses { get { lock (_lock) return _misses; } }
        public long Count { get { lock (_lock) return _map.Count; } }

        private static Node NewSentinel()
        {
            var n = new Node();
            n.Prev = n;
            n.Next = n;
            return n;
        }

        public TValue? Lookup(CacheKey key)
        {
            lock (_lock)
            {
                if (!_map.TryGetValue(key, out var node))
                {
                    _misses++;
                    return null;
                }
                _hits++;
                Unlink(node);
                if (!node.Protected)
                {
                    node.Protected = true;
                    _protectedUsage += node.Charge;
                }
                PushFront(_protected, node);
                long protectedCap = owner.ShardCapacity * 4 / 5;
                while (_protectedUsage > protectedCap && _protected.Prev != _protected)
                {
                    // Demote the coldest protected block: it gets one more chance in probation.
                    var cold = _protected.Prev!;
                    Unlink(cold);
                    cold.Protected = false;
                    _protectedUsage -= cold.Charge;
                    PushFront(_probation, cold);
                }
                return node.Value;
            }
        }

        public void Insert(CacheKey key, TValue value, int charge)
        {
            lock (_lock)
            {
                if (_map.TryGetValue(key, out var existing))
                {
                    existing.Value = value;
                    return;
                }
                var node = new Node { Key = key, Value = value, Charge = charge };
                _map[key] = node;
                PushFront(_probation, node);
                _usage += charge;
                long cap = owner.ShardCapacity;
                while (_usage > cap)
                {
                    var victim = _probation.Prev != _probation ? _probation.Prev! : _protected.Prev!;
                    if (victim == _protected) break;
                    Remove(victim);
                }
            }
        }

        public void EraseId(ulong id)
        {
            lock (_lock)
            {
                List<Node>? doomed = null;
                foreach (var (k, n) in _map)
                    if (k.Id == id) (doomed ??= []).Add(n);
                if (doomed is null) return;
                foreach (var n in doomed) Remove(n);
            }
        }

        private void Remove(Node node)
        {
            Unlink(node);
            _map.Remove(node.Key);
            _usage -= node.Charge;
            if (node.Protected) _protectedUsage -= node.Charge;
            node.Value = null;
        }

        private static void Unlink(Node node)
        {
            node.Prev!.Next = node.Next;
            node.Next!.Prev = node.Prev;
            node.Prev = node.Next = null;
        }

        private static void PushFront(Node sentinel, Node node)
        {
            node.Next = sentinel.Next;
            node.Prev = sentinel;
            sentinel.Next!.Prev = node;
            sentinel.Next = node;
        }
    }
}
