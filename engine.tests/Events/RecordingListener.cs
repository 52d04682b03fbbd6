namespace LatticeKV.Tests.Events;

/// <summary>An event listener that keeps every event it is given (tests read a copy).</summary>
internal sealed class RecordingListener : IEventListener
{
    private readonly List<LatticeEvent> _events = [];

    public List<LatticeEvent> Events
    {
        get { lock (_events) return [.. _events]; }
    }

    public void OnEvent(LatticeEvent e)
    {
        lock (_events) _events.Add(e);
    }
}
