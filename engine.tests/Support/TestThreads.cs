using System.Collections.Concurrent;
using System.Diagnostics;

namespace LatticeKV.Tests.Support;

/// <summary>
/// Threads a test runs beside its own. An exception escaping a thread ends the whole test host
/// and loses every result of the run, so each thread's exception is recorded instead and thrown
/// on the test's thread by <see cref="JoinAndRethrow"/>, the test's assertion that every thread
/// ended cleanly. Disposing stops (<see cref="Stopping"/>) and joins the threads without throwing,
/// so a <c>using</c> declared after the databases and directories they use ends them before
/// those are disposed, whatever the test threw. Joins are bounded and the threads are background
/// threads: one that never ends fails the test instead of hanging the run.
/// </summary>
/// <example>
/// <code>
/// using var db = LatticeDb.Open(dir.Path);
/// using var threads = new TestThreads();
/// threads.Start(4, "writer", t => { while (!threads.Stopping.IsCancellationRequested) db.Put(...); });
/// ... the test's own work ...
/// threads.Stop();
/// threads.JoinAndRethrow();
/// </code>
/// </example>
internal sealed class TestThreads : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(2);

    private readonly List<Thread> _threads = [];
    private readonly ConcurrentQueue<(string Thread, Exception Error)> _failures = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _failed = new();

    /// <summary>
    /// Cancelled by <see cref="Stop"/> and <see cref="Dispose"/>. Loops that run until told poll
    /// it; a gate the threads wait on registers its release with it, so a failed assertion never
    /// leaves them held.
    /// </summary>
    public CancellationToken Stopping => _stop.Token;

    /// <summary>Starts <paramref name="body"/> on a thread named <paramref name="name"/>; what it throws is recorded.</summary>
    public Thread Start(string name, Action body)
    {
        var thread = new Thread(() =>
        {
            try
            {
                body();
            }
            catch (Exception ex)
            {
                _failures.Enqueue((name, ex));
                _failed.Cancel();
            }
        })
        { Name = name, IsBackground = true };
        lock (_threads) _threads.Add(thread);
        thread.Start();
        return thread;
    }

    /// <summary>Starts <paramref name="count"/> threads, "<paramref name="name"/> 0" and on, each given its index.</summary>
    public void Start(int count, string name, Action<int> body)
    {
        for (int i = 0; i < count; i++)
        {
            int index = i;
            Start($"{name} {index}", () => body(index));
        }
    }

    /// <summary>Cancels <see cref="Stopping"/>.</summary>
    public void Stop() => _stop.Cancel();

    /// <summary>
    /// Waits for <paramref name="signal"/>, which a thread sets: if a thread fails first, its
    /// exception fails the test at once (it may never set the signal); so does the bound
    /// (<paramref name="bound"/>, two minutes by default), with <paramref name="what"/>.
    /// </summary>
    public void Wait(ManualResetEventSlim signal, string what, TimeSpan? bound = null)
    {
        bool set;
        try
        {
            set = signal.Wait(bound ?? Bound, _failed.Token);
        }
        catch (OperationCanceledException)
        {
            throw Failure();
        }
        if (!set) throw new Xunit.Sdk.XunitException($"{what} (waited {bound ?? Bound})");
    }

    /// <summary>
    /// Joins every thread; throws their exceptions, and fails if one is still running after
    /// <paramref name="bound"/> (two minutes by default).
    /// </summary>
    public void JoinAndRethrow(TimeSpan? bound = null)
    {
        var running = Join(bound ?? Bound);
        if (!_failures.IsEmpty) throw Failure();
        if (running.Count > 0) throw new Xunit.Sdk.XunitException($"still running after {bound ?? Bound}: {string.Join(", ", running)}");
    }

    /// <summary>Stops and joins the threads; never throws, so the test's own exception (if any) is the one reported.</summary>
    public void Dispose()
    {
        Stop();
        Join(Bound);
    }

    private List<string> Join(TimeSpan bound)
    {
        Thread[] threads;
        lock (_threads) threads = [.. _threads];
        var clock = Stopwatch.StartNew();
        var running = new List<string>();
        foreach (var thread in threads)
        {
            var left = bound - clock.Elapsed;
            if (!thread.Join(left > TimeSpan.Zero ? left : TimeSpan.Zero)) running.Add(thread.Name!);
        }
        return running;
    }

    private AggregateException Failure() =>
        new("test threads failed: " + string.Join(", ", _failures.Select(f => $"'{f.Thread}' ({f.Error.GetType().Name})")), _failures.Select(f => f.Error));
}
