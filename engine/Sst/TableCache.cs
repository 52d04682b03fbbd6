using System.Collections.Concurrent;
using LatticeKV.Io;

namespace LatticeKV.Sst;

/// <summary>
/// Keeps up to <c>capacity</c> tables open. Lookups are lock-free: an entry carries a reference
/// count (the cache's own reference plus one per user), so eviction never closes a table a
/// reader is using; the last <see cref="TableLease.Dispose"/> closes it. Eviction follows
/// CLOCK: a used entry gets a second chance before it is closed.
/// </summary>
internal sealed class TableCache : IDisposable
{
    private readonly IFileSystem _fs;
    private readonly string _dbPath;
    private readonly TableReaderOptions _options;
    private readonly int _capacity;
    private readonly ConcurrentDictionary<long, Entry> _entries = new();
    private readonly ConcurrentDictionary<long, Lock> _opening = new(); // a gate per table being opened
    private readonly Lock _entriesLock = new();                          // entering a table and choosing one to evict

    public TableCache(IFileSystem fs, string dbPath, TableReaderOptions options, int capacity)
    {
        _fs = fs;
        _dbPath = dbPath;
        _options = options;
        _capacity = Math.Max(16, capacity);
    }

    public TableReaderOptions Options => _options;

    public int OpenCount => _entries.Count;

    /// <summary>
    /// Like <see cref="Acquire(long)"/>, first trying the entry remembered in <paramref name="hint"/>
    /// (a field of the file's metadata), which saves a dictionary lookup per table probed.
    /// </summary>
    public TableLease Acquire(long fileNumber, ref object? hint)
    {
        if (hint is Entry cached && cached.TryAddRef())
        {
            cached.Referenced = true;
            return new TableLease(cached);
        }
        var lease = Acquire(fileNumber);
        hint = lease.Entry;
        return lease;
    }

    /// <summary>
    /// Starts loading the filter line a lookup of <paramref name="bloomHash"/> will probe in the
    /// table <paramref name="hint"/> remembers (see <see cref="Acquire(long, ref object?)"/>), if
    /// any. Takes no reference: a CPU hint reads nothing, even from a table being closed.
    /// </summary>
    public static void PrefetchFilter(object? hint, ulong bloomHash)
    {
        if (hint is Entry cached) cached.Reader.PrefetchFilter(bloomHash);
    }

    /// <summary>
    /// Returns the open table, opening it if needed. Dispose the lease when done. A table that is
    /// missing or fails to open is healed first when the reader options have a healer.
    /// </summary>
    public TableLease Acquire(long fileNumber)
    {
        if (_entries.TryGetValue(fileNumber, out var entry) && entry.TryAddRef())
        {
            entry.Referenced = true;
            return new TableLease(entry);
        }
        try
        {
            return Open(fileNumber, null);
        }
        catch (CorruptionException damage) when (_options.Healer is { } healer)
        {
            // Outside the table's gate: healing copies a whole file and takes the database's locks.
            var healed = healer.TryHeal(fileNumber, damage);
            if (healed is null) throw;
            return Open(fileNumber, healed);
        }
    }

    /// <summary>
    /// Opens the table (from <paramref name="file"/> when given, which this then owns) and enters
    /// it, unless another thread did meanwhile. Only opens of the same table wait for each other:
    /// different tables open in parallel (the startup check opens them all).
    /// </summary>
    private TableLease Open(long fileNumber, IRandomAccessFile? file)
    {
        var gate = _opening.GetOrAdd(fileNumber, static _ => new Lock());
        try
        {
            lock (gate)
            {
                if (_entries.TryGetValue(fileNumber, out var entry) && entry.TryAddRef())
                {
                    file?.Dispose();
                    entry.Referenced = true;
                    return new TableLease(entry);
                }
                string path = FileNames.Table(_dbPath, fileNumber);
                if (file is null)
                {
                    try { file = _fs.OpenRead(path); }
                    catch (FileNotFoundException ex) { throw new CorruptionException("table file referenced by the MANIFEST is missing", path, -1, ex); }
                }
                TableReader reader;
                try { reader = TableReader.Open(file, fileNumber, _options); }
                catch
                {
                    file.Dispose();
                    throw;
                }
                entry = new Entry(reader); // one reference for the cache
                entry.TryAddRef();          // one for the caller
                entry.Referenced = true;
                lock (_entriesLock)
                {
                    _entries[fileNumber] = entry;
                    if (_entries.Count > _capacity) EvictOne(fileNumber);
                }
                return new TableLease(entry);
            }
        }
        finally
        {
            // A thread that took the gate before its removal finds the entry (or opens the table) under it.
            _opening.TryRemove(new KeyValuePair<long, Lock>(fileNumber, gate));
        }
    }

    /// <summary>A lease on the table when it is open already; never opens one (background loading must not reopen a table deleted meanwhile).</summary>
    public bool TryAcquireOpen(long fileNumber, out TableLease lease)
    {
        if (_entries.TryGetValue(fileNumber, out var entry) && entry.TryAddRef())
        {
            lease = new TableLease(entry);
            return true;
        }
        lease = default;
        return false;
    }

    /// <summary>Closes the table once no reader uses it (its file is being deleted).</summary>
    public void Evict(long fileNumber)
    {
        if (_entries.TryRemove(fileNumber, out var entry)) entry.Release();
    }

    private void EvictOne(long keep)
    {
        // Two sweeps at most: the first clears reference bits, the second finds a victim.
        for (int sweep = 0; sweep < 2; sweep++)
        {
            foreach (var (number, e) in _entries)
            {
                if (number == keep) continue;
                if (e.Referenced)
                {
                    e.Referenced = false;
                    continue;
                }
                Evict(number);
                return;
            }
        }
    }

    public void Dispose()
    {
        foreach (var number in _entries.Keys.ToList()) Evict(number);
    }

    internal sealed class Entry(TableReader reader)
    {
        private int _refs = 1;

        public TableReader Reader { get; } = reader;

        public volatile bool Referenced;

        public bool TryAddRef()
        {
            while (true)
            {
                int r = Volatile.Read(ref _refs);
                if (r == 0) return false;
                if (Interlocked.CompareExchange(ref _refs, r + 1, r) == r) return true;
            }
        }

        public void Release()
        {
            if (Interlocked.Decrement(ref _refs) == 0) Reader.Dispose();
        }
    }
}

/// <summary>A counted use of an open table; dispose exactly once.</summary>
internal readonly struct TableLease : IDisposable
{
    private readonly TableCache.Entry _entry;

    internal TableLease(TableCache.Entry entry) => _entry = entry;

    public TableReader Reader => _entry.Reader;

    internal TableCache.Entry Entry => _entry;

    public void Dispose() => _entry.Release();
}
