namespace LatticeKV;

/// <summary>
/// Receives a database's events (<see cref="DbOptions.EventListeners"/>), as RocksDB's and
/// Pebble's event listeners do.
/// </summary>
/// <remarks>
/// <para>Threading: every listener of a database is called on one background thread of that
/// database (named <c>lattice-events</c>), one event at a time, in the order the events
/// happened; never on the thread that caused the event, so a listener cannot slow a write or a
/// flush. A listener must still return promptly: events wait behind it, and when too many wait
/// the newest are dropped (counted by <c>events.dropped</c> in <see cref="LatticeDb.GetStatistics"/>).</para>
/// <para>Exceptions a listener throws are caught and counted (<c>events.listener.failures</c>);
/// they never reach the engine, and the next listener and event are delivered as usual.</para>
/// <para>Events raised while the database closes are delivered before <see cref="LatticeDb.Dispose"/> returns.</para>
/// </remarks>
/// <example>
/// <code>
/// sealed class CompactionLog : IEventListener
/// {
///     public void OnEvent(LatticeEvent e)
///     {
///         if (e is CompactionCompletedEvent c) Console.WriteLine($"L{c.Level}->L{c.OutputLevel} {c.BytesWritten} bytes in {c.Duration}");
///     }
/// }
/// var options = new DbOptions();
/// options.EventListeners.Add(new CompactionLog());
/// </code>
/// </example>
public interface IEventListener
{
    /// <summary>Called once per event; see the remarks for the thread and what exceptions do.</summary>
    void OnEvent(LatticeEvent e);
}
