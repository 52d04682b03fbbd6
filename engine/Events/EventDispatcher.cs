using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace LatticeKV.Events;

/// <summary>
/// Hands a database's events to its listeners, its logger and its event file, on one thread of
/// its own (<c>lattice-events</c>, started at the first event), in the order they were raised.
/// <see cref="Raise"/> only queues: it is safe under the database mutex and on the write path.
/// With no listener, logger or file, <see cref="Enabled"/> is false and callers build no event.
/// </summary>
/// <remarks>
/// Lock order: <see cref="_lock"/> is a leaf (taken under any engine lock, nothing taken under it).
/// Listeners run without it.
/// </remarks>
internal sealed class EventDispatcher : IDisposable
{
    /// <summary>Events waiting beyond this are dropped (a listener that blocks must not grow memory without end).</summary>
    public const int MaxQueued = 4096;

    private static readonly ConcurrentDictionary<(EventKind, LogLevel), Action<ILogger, string, string, Exception?>> s_logMessages = new();

    // Constant after construction.
    private readonly IEventListener[] _listeners;
    private readonly ILogger? _logger;
    private readonly EventFile? _file;
    private readonly TimeProvider _clock;

    private readonly object _lock = new();
    // Guarded by _lock.
    private readonly Queue<LatticeEvent> _queue = new();
    private Thread? _thread;
    private bool _delivering;
    private bool _stopped;

    private long _raised;
    private long _lastJobId;
    private long _dropped;
    private long _listenerFailures;

    public EventDispatcher(IEnumerable<IEventListener> listeners, ILogger? logger, EventFile? file, TimeProvider clock)
    {
        _listeners = [.. listeners];
        _logger = logger;
        _file = file;
        _clock = clock;
        Enabled = _listeners.Length > 0 || logger is not null || file is not null;
    }

    /// <summary>True when anything receives events; when false, callers skip building them.</summary>
    public bool Enabled { get; }

    /// <summary>A new id pairing a job's begun and completed events.</summary>
    public long NextJobId() => Interlocked.Increment(ref _lastJobId);

    /// <summary>Events raised since open.</summary>
    public long Raised => Interlocked.Read(ref _raised);

    /// <summary>Events dropped because too many waited, or raised after close.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Exceptions thrown by listeners (caught).</summary>
    public long ListenerFailures => Interlocked.Read(ref _listenerFailures);

    /// <summary>Failed writes of the event file.</summary>
    public long FileFailures => _file?.Failures ?? 0;

    /// <summary>Queues <paramref name="e"/> for delivery, stamping its time when the raiser did not.</summary>
    public void Raise(LatticeEvent e)
    {
        if (!Enabled) return;
        if (e.Time == default) e.Time = _clock.GetUtcNow();
        lock (_lock)
        {
            if (_stopped || _queue.Count >= MaxQueued)
            {
                Interlocked.Increment(ref _dropped);
                return;
            }
            Interlocked.Increment(ref _raised);
            _queue.Enqueue(e);
            if (_thread is null)
            {
                _thread = new Thread(Run) { IsBackground = true, Name = "lattice-events" };
                _thread.Start();
            }
            Monitor.PulseAll(_lock);
        }
    }

    /// <summary>Waits until every event raised so far has been delivered (tests, and close).</summary>
    public void WaitIdle()
    {
        lock (_lock)
            while (_queue.Count > 0 || _delivering) Monitor.Wait(_lock);
    }

    private void Run()
    {
        var batch = new List<LatticeEvent>();
        while (true)
        {
            lock (_lock)
            {
                _delivering = false;
                Monitor.PulseAll(_lock);
                while (_queue.Count == 0)
                {
                    if (_stopped) return;
                    Monitor.Wait(_lock);
                }
                _delivering = true;
                while (_queue.Count > 0) batch.Add(_queue.Dequeue());
            }
            foreach (var e in batch) Deliver(e);
            _file?.Flush();
            batch.Clear();
        }
    }

    private void Deliver(LatticeEvent e)
    {
        _file?.Append(EventJson.Line(e));
        if (_logger is not null) Log(_logger, e);
        foreach (var listener in _listeners)
        {
            try { listener.OnEvent(e); }
            catch (Exception) { Interlocked.Increment(ref _listenerFailures); }
        }
    }

    private void Log(ILogger logger, LatticeEvent e)
    {
        try
        {
            if (!logger.IsEnabled(e.LogLevel)) return;
            var message = s_logMessages.GetOrAdd((e.Kind, e.LogLevel), static key =>
                LoggerMessage.Define<string, string>(key.Item2, new EventId((int)key.Item1, key.Item1.ToString()), "LatticeKV {Kind}: {Description}"));
            message(logger, e.Kind.ToString(), e.Describe(), null);
        }
        catch (Exception)
        {
            // A logging provider's failure is the listener's kind of failure: counted, never the engine's.
            Interlocked.Increment(ref _listenerFailures);
        }
    }

    /// <summary>Delivers what is queued, stops the thread and closes the file; later events are dropped.</summary>
    public void Dispose()
    {
        Thread? thread;
        lock (_lock)
        {
            if (_stopped) return;
            _stopped = true;
            thread = _thread;
            Monitor.PulseAll(_lock);
        }
        thread?.Join();
        _file?.Dispose();
    }
}
