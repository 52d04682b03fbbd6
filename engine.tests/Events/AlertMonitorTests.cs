using LatticeKV.Events;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Events;

/// <summary>Alert episodes driven by a fake clock and fake signals: fire once, clear, fire again, through events, the logger and the active list.</summary>
public sealed class AlertMonitorTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private sealed class FakeSignals : IAlertSignals
    {
        public TimeSpan StallTime { get; set; }
        public long CacheHits { get; set; }
        public long CacheMisses { get; set; }
        public long Corruptions { get; set; }
        public bool BackgroundErrorActive { get; set; }
        public (long Free, long Total)? DiskValue { get; set; }
        public TimeSpan? Lag { get; set; }
        public TimeSpan? P99 { get; set; }
        public bool Throw { get; set; }
        public (long Free, long Total)? Disk() => Throw ? throw new InvalidOperationException("disk query failed") : DiskValue;
        public TimeSpan? SyncLag() => Lag;
        public TimeSpan? Latency(OperationKind kind, double quantile, TimeSpan window) => kind == OperationKind.Get && quantile == 0.99 ? P99 : null;
        public double? GrowthBytesPerDay() => null;
    }

    private sealed class Recorder : IEventListener
    {
        public List<LatticeEvent> Events { get; } = [];
        public void OnEvent(LatticeEvent e)
        {
            lock (Events) Events.Add(e);
        }
    }

    [Fact]
    public void StallFraction_FiresOncePerEpisode_ClearsAndRefires()
    {
        var signals = new FakeSignals();
        var clock = new TimerClock(Start);
        var recorder = new Recorder();
        var logger = new TestLogger();
        using var events = new EventDispatcher([recorder], logger, null, clock);
        var options = new AlertOptions { EvaluationInterval = TimeSpan.FromSeconds(10) };
        options.Rules.Add(AlertRule.StallFraction(0.5, TimeSpan.FromSeconds(10)) with { ClearThreshold = 0.1 });
        options.Validate();
        using var monitor = new AlertMonitor(options, signals, events, clock);
        monitor.Start();

        // Stalled 8 s of each 10 s window, for three rounds: one alert, not three.
        for (int i = 0; i < 3; i++)
        {
            signals.StallTime += TimeSpan.FromSeconds(8);
            clock.Advance(TimeSpan.FromSeconds(10));
        }
        Assert.Equal(3, monitor.Evaluations);
        Assert.Equal(1, monitor.Fired);
        var active = Assert.Single(monitor.Active());
        Assert.Equal("stall-fraction", active.Name);
        Assert.Equal(0.8, active.Value, 3);

        // Between the thresholds (0.3): still the same episode.
        signals.StallTime += TimeSpan.FromSeconds(3);
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Single(monitor.Active());
        Assert.Equal(0, monitor.Cleared);

        // Below the clear threshold: cleared.
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Empty(monitor.Active());
        Assert.Equal(1, monitor.Cleared);

        // A new episode fires again.
        signals.StallTime += TimeSpan.FromSeconds(9);
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(2, monitor.Fired);

        events.WaitIdle();
        lock (recorder.Events)
        {
            Assert.Equal([EventKind.AlertFired, EventKind.AlertCleared, EventKind.AlertFired], recorder.Events.Select(e => e.Kind));
            var fired = Assert.IsType<AlertFiredEvent>(recorder.Events[0]);
            Assert.Equal(Start + TimeSpan.FromSeconds(10), fired.Time);
            Assert.Equal(0.5, fired.Threshold);
            Assert.Equal(TimeSpan.FromSeconds(40), Assert.IsType<AlertClearedEvent>(recorder.Events[1]).Duration);
        }
        var warnings = logger.Entries.Where(e => e.Level == Microsoft.Extensions.Logging.LogLevel.Warning).ToList();
        Assert.Equal(2, warnings.Count);
        Assert.All(warnings, w => Assert.Equal(nameof(EventKind.AlertFired), w.EventId.Name));
        Assert.Equal((int)EventKind.AlertFired, warnings[0].EventId.Id);
    }

    [Fact]
    public void For_ConditionMustHoldThatLong_BeforeFiring()
    {
        var signals = new FakeSignals { P99 = TimeSpan.FromMilliseconds(50) };
        var clock = new TimerClock(Start);
        using var events = new EventDispatcher([], null, null, clock);
        var options = new AlertOptions { EvaluationInterval = TimeSpan.FromSeconds(10) };
        options.Rules.Add(AlertRule.LatencyP99(OperationKind.Get, TimeSpan.FromMilliseconds(20)) with { For = TimeSpan.FromSeconds(20) });
        using var monitor = new AlertMonitor(options, signals, events, clock);
        monitor.Start();
        clock.Advance(TimeSpan.FromSeconds(10)); // held 0 s
        clock.Advance(TimeSpan.FromSeconds(10)); // held 10 s
        Assert.Equal(0, monitor.Fired);
        clock.Advance(TimeSpan.FromSeconds(10)); // held 20 s
        Assert.Equal(1, monitor.Fired);
        Assert.Equal(0.05, Assert.Single(monitor.Active()).Value, 6);
        signals.P99 = null; // no measurement: neither fires nor clears
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Single(monitor.Active());
        signals.P99 = TimeSpan.FromMilliseconds(5);
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Empty(monitor.Active());
    }

    [Fact]
    public void CacheHitRatioAndFreeDiskAndCorruption_FireBelowOrAtTheirThresholds()
    {
        var signals = new FakeSignals { DiskValue = (50, 1000) };
        var clock = new TimerClock(Start);
        using var events = new EventDispatcher([], null, null, clock);
        var options = new AlertOptions { EvaluationInterval = TimeSpan.FromSeconds(10) };
        options.Rules.Add(AlertRule.CacheHitRatioBelow(0.9, TimeSpan.FromSeconds(10)));
        options.Rules.Add(AlertRule.FreeDiskFractionBelow(0.10));
        options.Rules.Add(AlertRule.Corruption(TimeSpan.FromSeconds(10)));
        options.Rules.Add(AlertRule.BackgroundError());
        options.Rules.Add(AlertRule.SyncLagAbove(TimeSpan.FromMinutes(1)));
        options.Validate();
        using var monitor = new AlertMonitor(options, signals, events, clock);
        monitor.Start();
        signals.CacheHits = 50;
        signals.CacheMisses = 50;
        signals.Corruptions = 1;
        signals.BackgroundErrorActive = true;
        signals.Lag = TimeSpan.FromMinutes(5);
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(["background-error", "cache-hit-ratio", "corruption", "free-disk-fraction", "sync-lag"], monitor.Active().Select(a => a.Name).Order(StringComparer.Ordinal));
        signals.CacheHits += 100;
        signals.DiskValue = (500, 1000);
        signals.BackgroundErrorActive = false;
        signals.Lag = TimeSpan.Zero;
        clock.Advance(TimeSpan.FromSeconds(10)); // no new corruption in the window, all well again
        Assert.Empty(monitor.Active());
        Assert.Equal(5, monitor.Cleared);
    }

    [Fact]
    public void SignalThatThrows_IsCountedAndTheTimerKeepsRunning()
    {
        var signals = new FakeSignals { Throw = true };
        var clock = new TimerClock(Start);
        using var events = new EventDispatcher([], null, null, clock);
        var options = new AlertOptions { EvaluationInterval = TimeSpan.FromSeconds(1) };
        options.Rules.Add(AlertRule.FreeDiskBelow(100));
        options.Rules.Add(AlertRule.BackgroundError());
        using var monitor = new AlertMonitor(options, signals, events, clock);
        monitor.Start();
        signals.BackgroundErrorActive = true;
        clock.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(3, monitor.Evaluations);
        Assert.Equal(3, monitor.Failures);
        Assert.Equal("background-error", Assert.Single(monitor.Active()).Name);
        monitor.Dispose();
        Assert.Equal(0, clock.ActiveTimers);
    }

    [Fact]
    public void Validate_RejectsDuplicateNamesAndAClearThresholdOnTheWrongSide()
    {
        var twice = new AlertOptions();
        twice.Rules.Add(AlertRule.StallFraction(0.5));
        twice.Rules.Add(AlertRule.StallFraction(0.2));
        Assert.Throws<InvalidArgumentException>(twice.Validate);
        var wrong = new AlertOptions();
        wrong.Rules.Add(AlertRule.CacheHitRatioBelow(0.5) with { ClearThreshold = 0.4 });
        Assert.Throws<InvalidArgumentException>(wrong.Validate);
        var zero = new AlertOptions { EvaluationInterval = TimeSpan.Zero };
        Assert.Throws<InvalidArgumentException>(zero.Validate);
    }
}
