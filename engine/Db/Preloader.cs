using LatticeKV.Cache;
using LatticeKV.Io;
using LatticeKV.Manifest;
using LatticeKV.Sst;

namespace LatticeKV.Db;

/// <summary>
/// Warms the block cache with the blocks the <c>HOTSET</c> file names, on a background thread of
/// low priority, after open: at most <see cref="PreloadOptions.BytesPerSecond"/> and
/// <see cref="PreloadOptions.MaxBytes"/> (and never more than the cache holds). Entries of tables
/// no live version holds, or whose position is not a data block of the table, are skipped: the
/// file may be older than the tables. A damaged file is ignored. <see cref="Dispose"/> stops it
/// between two blocks.
/// </summary>
internal sealed class Preloader : IDisposable
{
    private readonly IFileSystem _fs;
    private readonly string _db;
    private readonly PreloadOptions _options;
    private readonly long _budget;
    private readonly Func<long, FileMetaData?> _findLiveTable;
    private readonly TableCache _tables;
    private readonly TimeProvider _clock;
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _rejectedFiles;
    private long _skippedEntries;

    public Preloader(IFileSystem fs, string db, PreloadOptions options, long cacheCapacity, Func<long, FileMetaData?> findLiveTable, TableCache tables, TimeProvider clock)
    {
        _fs = fs;
        _db = db;
        _options = options;
        _budget = Math.Min(options.MaxBytes, cacheCapacity);
        _findLiveTable = findLiveTable;
        _tables = tables;
        _clock = clock;
        _thread = new Thread(Run) { IsBackground = true, Name = "lattice-preload", Priority = ThreadPriority.Lowest };
        _thread.Start();
    }

    /// <summary>Completes when warming has ended (all loaded, budget spent, stopped or nothing to do).</summary>
    public Task Completion => _done.Task;

    /// <summary>1 when the HOTSET file was found damaged and ignored.</summary>
    public long RejectedFiles => Interlocked.Read(ref _rejectedFiles);

    /// <summary>Entries skipped as stale (table gone, or not a block's position).</summary>
    public long SkippedEntries => Interlocked.Read(ref _skippedEntries);

    private void Run()
    {
        try
        {
            List<HotBlock>? blocks;
            try { blocks = HotSetFile.Read(_fs, _db); }
            catch (CorruptionException)
            {
                Interlocked.Increment(ref _rejectedFiles);
                return;
            }
            catch (LatticeIOException)
            {
                return;
            }
            if (blocks is null || _budget <= 0) return;
            Warm(blocks);
        }
        finally
        {
            _done.TrySetResult();
        }
    }

    private void Warm(List<HotBlock> blocks)
    {
        // File order, then offset order: reads move forward through each table.
        blocks.Sort((a, b) => a.FileNumber != b.FileNumber ? a.FileNumber.CompareTo(b.FileNumber) : a.Offset.CompareTo(b.Offset));
        long started = _clock.GetTimestamp();
        long bytes = 0;
        var token = _stop.Token;
        for (int i = 0; i < blocks.Count && !token.IsCancellationRequested;)
        {
            long file = blocks[i].FileNumber;
            int end = i;
            while (end < blocks.Count && blocks[end].FileNumber == file) end++;
            if (_findLiveTable(file) is null)
            {
                Interlocked.Add(ref _skippedEntries, end - i);
                i = end;
                continue;
            }
            try
            {
                using var lease = _tables.Acquire(file);
                for (; i < end && !token.IsCancellationRequested; i++)
                {
                    var fences = lease.Reader.Fences;
                    int number = fences.IndexOf(blocks[i].Offset);
                    if (number < 0 || fences.Handle(number).Size != blocks[i].Size)
                    {
                        Interlocked.Increment(ref _skippedEntries);
                        continue;
                    }
                    if (bytes + blocks[i].Size > _budget) return;
                    bytes += lease.Reader.WarmBlock(number, WarmOrigin.Preload);
                    Pace(started, bytes, token);
                }
            }
            catch (LatticeException)
            {
                // A table that fails to open or read is the next reader's to report; preload moves on.
                Interlocked.Add(ref _skippedEntries, end - i);
            }
            i = end;
        }
    }

    /// <summary>Waits until <paramref name="bytes"/> read since <paramref name="started"/> fit the rate.</summary>
    private void Pace(long started, long bytes, CancellationToken token)
    {
        var due = TimeSpan.FromSeconds((double)bytes / _options.BytesPerSecond);
        var ahead = due - _clock.GetElapsedTime(started);
        if (ahead > TimeSpan.Zero) token.WaitHandle.WaitOne(ahead);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join();
        _stop.Dispose();
    }
}
