namespace LatticeKV.Replication;

/// <summary>
/// Wakes change-feed watchers when changes are published. A watcher registers
/// (<see cref="Enter"/>), then takes <see cref="Next"/> before each read, so a change published
/// after its read completes the task it then awaits. With no watcher, publishing costs nothing.
/// </summary>
internal sealed class ChangeSignal
{
    private TaskCompletionSource _next = NewSource();
    private int _watchers;

    public Task Next => Volatile.Read(ref _next).Task;

    public void Enter() => Interlocked.Increment(ref _watchers);

    public void Leave() => Interlocked.Decrement(ref _watchers);

    public void Pulse()
    {
        if (Volatile.Read(ref _watchers) > 0) Interlocked.Exchange(ref _next, NewSource()).TrySetResult();
    }

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
