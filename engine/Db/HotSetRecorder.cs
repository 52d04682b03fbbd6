using LatticeKV.Io;
using LatticeKV.Sst;

namespace LatticeKV.Db;

/// <summary>
/// Writes the block cache's hot set to <c>HOTSET</c> (positions only: an encrypted family's
/// blocks are cached decrypted, and none of that may reach the file). Recording runs at close
/// and on a timer of <see cref="DbOptions.Clock"/>; one at a time, and none after
/// <see cref="Stop"/>. A failed write is counted and otherwise ignored: the file is advisory.
/// </summary>
internal sealed class HotSetRecorder : IDisposable
{
    private readonly IFileSystem _fs;
    private readonly string _db;
    private readonly BlockCacheTiers _tiers;
    private readonly TableCache _tables;
    private readonly long _maxBytes;
    private readonly Lock _lock = new();
    private readonly ITimer? _timer;
    private bool _stopped;   // guarded by _lock
    private long _recorded;  // blocks in the last file written
    private long _failures;

    public HotSetRecorder(IFileSystem fs, string db, BlockCacheTiers tiers, TableCache tables, PreloadOptions options, TimeProvider clock)
    {
        _fs = fs;
        _db = db;
        _tiers = tiers;
        _tables = tables;
        _maxBytes = options.MaxBytes;
        // A leftover of a write interrupted by a crash; HOTSET itself is whole (renamed into place).
        try { if (fs.FileExists(HotSetFile.PathIn(db) + ".tmp")) fs.DeleteFile(HotSetFile.PathIn(db) + ".tmp"); }
        catch (LatticeIOException) { }
        if (options.RecordInterval > TimeSpan.Zero)
            _timer = clock.CreateTimer(_ => Record(), null, options.RecordInterval, options.RecordInterval);
    }

    public long RecordedBlocks => Interlocked.Read(ref _recorded);

    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Records the hot set now; false when stopped or the write failed.</summary>
    public bool Record()
    {
        lock (_lock)
        {
            if (_stopped) return false;
            return RecordLocked();
        }
    }

    private bool RecordLocked()
    {
        var blocks = Collect();
        try
        {
            HotSetFile.Write(_fs, _db, blocks);
            Interlocked.Exchange(ref _recorded, blocks.Count);
            return true;
        }
        catch (LatticeIOException)
        {
            Interlocked.Increment(ref _failures);
            return false;
        }
    }

    /// <summary>The positions of the hot blocks of both tiers, decompressed first, within the byte cap.</summary>
    private List<HotBlock> Collect()
    {
        var seen = new HashSet<(long, int)>();
        var blocks = new List<HotBlock>();
        long budget = _maxBytes;
        Add(_tiers.Decompressed.HotEntries(budget).Select(e => (e.Slots.Owner, e.Index, e.Charge)));
        Add(_tiers.Compressed.HotEntries(budget).Select(e => (e.Slots.Owner, e.Index, e.Charge)));
        return blocks;

        void Add(IEnumerable<(long File, int Index, int Charge)> entries)
        {
            foreach (var group in entries.GroupBy(e => e.File))
            {
                // Only tables still open: a closed one was deleted or is cold, and its blocks with it.
                if (!_tables.TryAcquireOpen(group.Key, out var lease)) continue;
                using (lease)
                {
                    var fences = lease.Reader.Fences;
                    foreach (var (file, index, charge) in group)
                    {
                        if ((uint)index >= (uint)fences.Count || !seen.Add((file, index)) || charge > budget) continue;
                        budget -= charge;
                        var handle = fences.Handle(index);
                        blocks.Add(new HotBlock(file, handle.Offset, handle.Size));
                    }
                }
            }
        }
    }

    /// <summary>Stops the timer and, when <paramref name="recordNow"/>, records a last time (at close).</summary>
    public void Stop(bool recordNow)
    {
        _timer?.Dispose();
        lock (_lock)
        {
            if (_stopped) return;
            if (recordNow) RecordLocked();
            _stopped = true;
        }
    }

    public void Dispose() => Stop(recordNow: false);
}
