using LatticeKV.Keys;
using LatticeKV.Manifest;
using LatticeKV.Sst;

namespace LatticeKV.Db;

/// <summary>
/// Starts the memory loads of coming point lookups in one column family ahead of them. A random
/// lookup mostly waits on memory, one dependent load after another (filter line, fences, cache
/// slot, block, the entries its seek scans); issuing each stage of a later lookup while earlier
/// lookups run lets those waits overlap, so each lookup finds its lines in the CPU's caches.
/// <para>
/// Only hints: nothing here reads a file, opens a table or changes what the block cache holds, so
/// a lookup's result cannot depend on it. Tables are consulted only when already open, each under a
/// lease as a lookup holds; the caller holds a reference on the version (a super version) while
/// the batch is out (<see cref="Begin"/> to <see cref="End"/>). Reused batch after batch; not thread-safe.
/// </para>
/// </summary>
internal sealed class MultiGetPrefetch
{
    private byte[] _keys = new byte[2048]; // the lookup keys (user key, then the snapshot's trailer) back to back
    private int _used;
    private Lookup[] _lookups = new Lookup[32];
    private int _count;
    private readonly List<FileMetaData> _candidates = []; // per lookup, the tables it would probe, newest first
    private readonly List<(FileMetaData File, TableLease Lease, bool Leased)> _leases = [];

    private struct Lookup
    {
        public int Offset, Length;
        public ulong BloomHash;
        public int CandidatesStart, CandidatesEnd;
        public int Done; // the last stage issued
        public TableReader? Table; // the first open table whose filter may hold the key
        public int Block;
        public ulong Window;
        public bool Windowed;
    }

    [ThreadStatic] private static MultiGetPrefetch? t_spare;

    /// <summary>An instance, this thread's spare when it has one (so a walk per query allocates no buffers); give it back with <see cref="Return"/>.</summary>
    public static MultiGetPrefetch Rent()
    {
        var spare = t_spare;
        t_spare = null;
        return spare ?? new MultiGetPrefetch();
    }

    /// <summary>Ends <paramref name="prefetch"/>'s batch and keeps it as this thread's spare.</summary>
    public static void Return(MultiGetPrefetch prefetch)
    {
        prefetch.End();
        t_spare = prefetch;
    }

    /// <summary>Lookups added and not yet run.</summary>
    public int Count => _count;

    /// <summary>Adds a lookup of <paramref name="userKey"/> as of sequence <paramref name="snapshot"/>.</summary>
    public void Add(ReadOnlySpan<byte> userKey, ulong snapshot)
    {
        int length = userKey.Length + InternalKey.TrailerSize;
        if (_keys.Length - _used < length) Array.Resize(ref _keys, Math.Max(_keys.Length * 2, _used + length));
        if (_count == _lookups.Length) Array.Resize(ref _lookups, _count * 2);
        InternalKey.Encode(_keys.AsSpan(_used, length), userKey, snapshot, ValueKinds.ForSeek);
        _lookups[_count++] = new Lookup { Offset = _used, Length = length, BloomHash = BloomFilter.Hash(userKey) };
        _used += length;
    }

    /// <summary>
    /// Stage 1 for every lookup added: the tables each would probe in <paramref name="version"/>
    /// (which the caller holds until <see cref="End"/>), their filter lines requested.
    /// </summary>
    public void Begin(LsmVersion version)
    {
        FindTables(version);
        for (int i = 0; i < _count; i++) _lookups[i].Done = 1;
    }

    /// <summary>
    /// Stage <paramref name="stage"/> (2: fence search and cache slot, 3: the cached block's
    /// fields, 4: the interval its seek scans) of lookup <paramref name="i"/>, when its earlier
    /// stages are done and this one is not: each stage reads what the one before requested, so
    /// the caller spaces them apart (a lookup's worth of work between stages hides their loads).
    /// </summary>
    public void Stage(int i, int stage)
    {
        if ((uint)i >= (uint)_count) return;
        ref var lookup = ref _lookups[i];
        if (lookup.Done != stage - 1) return;
        lookup.Done = stage;
        var key = _keys.AsSpan(lookup.Offset, lookup.Length);
        switch (stage)
        {
            case 2:
                SearchFences(ref lookup, key);
                break;
            case 3:
                lookup.Table?.PrefetchCachedBlock(lookup.Block);
                break;
            case 4:
                lookup.Table?.PrefetchCachedEntry(lookup.Block, key, lookup.Window, lookup.Windowed);
                break;
        }
    }

    /// <summary>Lets go of the tables leased and forgets the lookups; the caller may then release the version.</summary>
    public void End()
    {
        foreach (var (_, lease, leased) in _leases)
            if (leased) lease.Dispose();
        _leases.Clear();
        _candidates.Clear();
        Clear();
    }

    /// <summary>Forgets the lookups added (a batch given up).</summary>
    public void Clear() => _used = _count = 0;

    /// <summary>Stage 1: the tables each lookup would probe (as <see cref="LsmVersion.Get"/> chooses them), their filter lines requested.</summary>
    private void FindTables(LsmVersion version)
    {
        var l0 = version.Files(0);
        for (int i = 0; i < _count; i++)
        {
            ref var lookup = ref _lookups[i];
            var key = _keys.AsSpan(lookup.Offset, lookup.Length);
            var userKey = InternalKey.UserKey(key);
            lookup.CandidatesStart = _candidates.Count;
            for (int f = 0; f < l0.Count; f++)
                if (version.Contains(l0[f], userKey)) AddCandidate(l0[f], lookup.BloomHash);
            for (int level = 1; level < version.NumLevels; level++)
            {
                var files = version.Files(level);
                if (files.Count == 0) continue;
                int at = version.FindFile(level, key);
                if (at < files.Count && version.Contains(files[at], userKey)) AddCandidate(files[at], lookup.BloomHash);
            }
            lookup.CandidatesEnd = _candidates.Count;
        }
    }

    private void AddCandidate(FileMetaData file, ulong bloomHash)
    {
        _candidates.Add(file);
        TableCache.PrefetchFilter(file.CachedTable, bloomHash);
    }

    /// <summary>
    /// Stage 2: the first table whose filter (loading since stage 1) may hold the key: its fence
    /// search, and the block's cache slot requested.
    /// </summary>
    private void SearchFences(ref Lookup lookup, ReadOnlySpan<byte> key)
    {
        lookup.Table = null;
        for (int c = lookup.CandidatesStart; c < lookup.CandidatesEnd; c++)
        {
            var table = Leased(_candidates[c]);
            if (table is null) return; // not open: the lookup itself opens it
            if (!table.MayContain(lookup.BloomHash)) continue;
            lookup.Table = table;
            lookup.Block = table.PrefetchBlockFor(key, out lookup.Window, out lookup.Windowed);
            return;
        }
    }

    /// <summary>The open table of <paramref name="file"/>, leased until the batch ends; null when it is not open.</summary>
    private TableReader? Leased(FileMetaData file)
    {
        foreach (var (f, lease, leased) in _leases)
            if (ReferenceEquals(f, file)) return leased ? lease.Reader : null;
        bool ok = TableCache.TryLeaseRemembered(file.CachedTable, out var taken);
        _leases.Add((file, taken, ok));
        return ok ? taken.Reader : null;
    }
}
