using LatticeKV.Cache;

namespace LatticeKV.Sst;

/// <summary>
/// Loads data blocks into the block cache on one background thread of low priority, for
/// readahead and prefetch. Requests name a table by file number: the table is used only while
/// it is still open in the <see cref="TableCache"/> (a lease keeps it open while its blocks
/// load), so a request for a table deleted meanwhile is dropped, never reopened. The queue is
/// bounded: when it is full a request is refused, since loading late is loading in vain.
/// Blocks already cached are skipped. Damage met here is left for the reader that asks for the
/// block to report. Thread-safe.
/// </summary>
internal sealed class BlockWarmer : IDisposable
{
    private const int MaxQueued = 256;
    private readonly TableCache _tables;
    private readonly object _lock = new(); // a monitor: the thread waits on it for requests
    // Guarded by _lock.
    private readonly Queue<Request> _queue = new();
    private bool _busy;
    private bool _stopping;
    private long _requestedBlocks;
    private readonly Thread _thread;

    private readonly record struct Request(long FileNumber, int First, int Count, int Step, WarmOrigin Origin);

    public BlockWarmer(TableCache tables)
    {
        _tables = tables;
        _thread = new Thread(Run) { IsBackground = true, Name = "lattice-warm", Priority = ThreadPriority.BelowNormal };
        _thread.Start();
    }

    /// <summary>
    /// Asks for <paramref name="count"/> blocks of table <paramref name="fileNumber"/> from
    /// block <paramref name="first"/>, moving by <paramref name="step"/> (+1 or -1). False when
    /// refused (queue full, or stopping).
    /// </summary>
    public bool Enqueue(long fileNumber, int first, int count, int step, WarmOrigin origin)
    {
        lock (_lock)
        {
            if (_stopping || _queue.Count >= MaxQueued) return false;
            _queue.Enqueue(new Request(fileNumber, first, count, step, origin));
            _requestedBlocks += count;
            if (_queue.Count == 1) Monitor.Pulse(_lock);
            return true;
        }
    }

    /// <summary>
    /// Blocks asked for by accepted requests. Unlike the blocks a load issues, which skip what the
    /// reader itself cached first, this does not depend on how fast this thread runs (tests).
    /// </summary>
    public long RequestedBlocks
    {
        get { lock (_lock) return _requestedBlocks; }
    }

    /// <summary>Waits until every request made so far has been carried out (tests, benchmarks).</summary>
    public void WaitIdle()
    {
        lock (_lock)
            while ((_queue.Count > 0 || _busy) && !_stopping) Monitor.Wait(_lock);
    }

    private void Run()
    {
        while (true)
        {
            Request request;
            lock (_lock)
            {
                _busy = false;
                Monitor.PulseAll(_lock);
                while (_queue.Count == 0 && !_stopping) Monitor.Wait(_lock);
                if (_stopping) return;
                request = _queue.Dequeue();
                _busy = true;
            }
            Load(request);
        }
    }

    private void Load(Request request)
    {
        if (!_tables.TryAcquireOpen(request.FileNumber, out var lease)) return;
        using (lease)
        {
            try
            {
                for (int i = 0; i < request.Count && !Volatile.Read(ref _stopping); i++)
                    lease.Reader.WarmBlock(request.First + i * request.Step, request.Origin);
            }
            catch (LatticeException)
            {
                // The read that needs the block meets the same damage and reports it.
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_stopping) return;
            _stopping = true;
            Monitor.PulseAll(_lock);
        }
        _thread.Join();
    }
}
