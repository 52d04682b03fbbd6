using System.Diagnostics.Metrics;
using System.Text;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Events;

/// <summary>
/// The parts of observability wired together (engine/LatticeDb.Observability.cs): slow
/// operations become events, latency and growth alerts measure through the metrics and the
/// storage history, and the meter reports alerts, events and the cache's anticipation.
/// </summary>
[Collection(LatticeKV.Tests.Metrics.MeterListenerCollection.Name)]
public sealed class ObservabilityWiringTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void ASlowOperation_IsRaisedAsAnEvent_AndAnEncryptedFamilysKeyStaysOut()
    {
        using var dir = new TempDir("wire-slow");
        var clock = new TimerClock(Start);
        var recorder = new RecordingListener();
        var options = new DbOptions { Clock = clock, SlowOperationThreshold = TimeSpan.FromMilliseconds(10), Encryption = EncryptionOptions.FromKey(new byte[32]) };
        options.EventListeners.Add(recorder);
        using var db = LatticeDb.Open(dir.Path, options);
        var users = db.CreateColumnFamily("users");
        var secrets = db.CreateColumnFamily("secrets", new ColumnFamilyOptions { Encrypted = true });
        db.Put(users, "user/1"u8, "v"u8);
        db.Put(secrets, "apikey/1"u8, "s"u8);

        clock.TimestampStep = TimeSpan.FromMilliseconds(50);
        db.Get(users, "user/1"u8);
        db.Get(secrets, "apikey/1"u8);
        clock.TimestampStep = TimeSpan.Zero;
        db.Events.WaitIdle();

        var slow = recorder.Events.OfType<SlowOperationEvent>().Where(e => e.Operation == OperationKind.Get).ToList();
        var plain = Assert.Single(slow, e => e.ColumnFamily == "users");
        Assert.Equal(Convert.ToHexStringLower("user/1"u8), plain.KeyPrefix);
        Assert.True(plain.Duration >= TimeSpan.FromMilliseconds(50));
        var secret = Assert.Single(slow, e => e.ColumnFamily == "secrets");
        Assert.Equal("", secret.KeyPrefix);
        string file = File.ReadAllText(Path.Combine(dir.Path, "EVENTS"));
        Assert.Contains("SlowOperation", file, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexStringLower("apikey/1"u8), file, StringComparison.Ordinal);
        Assert.DoesNotContain("apikey", file, StringComparison.Ordinal);
    }

    [Fact]
    public void ALatencyAlert_FiresFromTheMetricsLatencies_AndClearsWhenTheyFall()
    {
        using var dir = new TempDir("wire-latency");
        // Frozen: a "fast" read measured with the real clock could take longer than the threshold on a loaded
        // machine (the thread preempted between its two readings), fire the alert early or keep it from clearing.
        var clock = new TimerClock(Start) { FrozenTimestamps = true };
        var recorder = new RecordingListener();
        var options = new DbOptions { Clock = clock, StorageSampleInterval = null };
        options.EventListeners.Add(recorder);
        options.Alerts = new AlertOptions
        {
            EvaluationInterval = TimeSpan.FromSeconds(10),
            Rules = { AlertRule.LatencyP99(OperationKind.Get, TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(40)) },
        };
        using var db = LatticeDb.Open(dir.Path, options);
        db.Put("k"u8, "v"u8);

        for (int i = 0; i < 20; i++) db.Get("k"u8); // fast: well under the threshold
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Empty(db.GetActiveAlerts());

        clock.TimestampStep = TimeSpan.FromMilliseconds(30);
        for (int i = 0; i < 20; i++) db.Get("k"u8);
        clock.TimestampStep = TimeSpan.Zero;
        clock.Advance(TimeSpan.FromSeconds(10));
        var alert = Assert.Single(db.GetActiveAlerts());
        Assert.Equal(AlertCondition.LatencyP99, alert.Condition);
        Assert.True(alert.Value >= 0.03, $"p99 {alert.Value}s");

        // The slow reads age out of the window; fast reads alone keep p99 low, and the alert clears.
        for (int step = 0; step < 8; step++)
        {
            for (int i = 0; i < 20; i++) db.Get("k"u8);
            clock.Advance(TimeSpan.FromSeconds(10));
        }
        Assert.Empty(db.GetActiveAlerts());
        db.Events.WaitIdle();
        Assert.Single(recorder.Events.OfType<AlertFiredEvent>());
        Assert.Single(recorder.Events.OfType<AlertClearedEvent>());
    }

    [Fact]
    public void AGrowthAlert_FiresFromTheStorageHistory()
    {
        using var dir = new TempDir("wire-growth");
        var clock = new TimerClock(Start);
        var options = new DbOptions { Clock = clock, StorageSampleInterval = TimeSpan.FromMinutes(10) };
        options.Alerts = new AlertOptions
        {
            EvaluationInterval = TimeSpan.FromMinutes(1),
            Rules = { AlertRule.GrowthRateAbove(1L << 20) }, // 1 MiB a day
        };
        using var db = LatticeDb.Open(dir.Path, options);
        for (int round = 0; round < 6; round++)
        {
            for (int i = 0; i < 200; i++) db.Put(Encoding.UTF8.GetBytes($"r{round}k{i:D4}"), new byte[512]);
            db.Flush();
            clock.Advance(TimeSpan.FromMinutes(10));
        }
        Assert.NotNull(db.GetStorageGrowth()?.BytesPerDay);
        var alert = Assert.Single(db.GetActiveAlerts());
        Assert.Equal(AlertCondition.GrowthRate, alert.Condition);
        Assert.True(alert.Value > 1 << 20, $"growth {alert.Value} bytes/day");
    }

    [Fact]
    public void LatencyAlertWindowsLongerThanTheLatenciesKept_AreRefused()
    {
        using var dir = new TempDir("wire-window");
        var options = new DbOptions
        {
            Alerts = new AlertOptions { Rules = { AlertRule.LatencyP99(OperationKind.Put, TimeSpan.FromMilliseconds(5), TimeSpan.FromHours(1)) } },
        };
        Assert.Throws<InvalidArgumentException>(() => LatticeDb.Open(dir.Path, options));
    }

    [Fact]
    public void TheMeter_ReportsAlertsEventsAndAnticipatedBlocks()
    {
        using var dir = new TempDir("wire-meter");
        var clock = new TimerClock(Start);
        var options = new DbOptions { Clock = clock, Name = "wire-meter-db", StorageSampleInterval = null, BlockCacheCapacity = 64 << 20, ReadaheadMaxBytes = 256 << 10 };
        options.EventListeners.Add(new RecordingListener());
        options.Alerts = new AlertOptions { EvaluationInterval = TimeSpan.FromSeconds(1), Rules = { AlertRule.CacheHitRatioBelow(0.99, TimeSpan.FromSeconds(5)) } };
        using var db = LatticeDb.Open(dir.Path, options);
        for (int i = 0; i < 20_000; i++) db.Put(Encoding.UTF8.GetBytes($"key{i:D6}"), new byte[200]);
        db.Flush();
        clock.Advance(TimeSpan.FromSeconds(1)); // the alert's first reading: what follows is its window
        // Point reads spread over the table, not kept in the cache: misses however far the
        // background readahead of the scan below has come, so the hit ratio falls below the rule's.
        var uncached = new ReadOptions { FillCache = false };
        for (int i = 0; i < 20_000; i += 200) Assert.NotNull(db.Get(Encoding.UTF8.GetBytes($"key{i:D6}"), uncached));
        using (var it = db.NewIterator(new ReadOptions { FillCache = true }))
            for (it.SeekToFirst(); it.Valid; it.Next()) { } // a long scan: readahead loads blocks ahead of it
        for (int i = 0; i < 200; i++) db.Get(Encoding.UTF8.GetBytes($"nokey{i}"));
        clock.Advance(TimeSpan.FromSeconds(2));
        db.Events.WaitIdle();

        var seen = new Dictionary<string, long>(StringComparer.Ordinal);
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "LatticeKV") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? database = null, origin = null, outcome = null;
            foreach (var t in tags)
            {
                if (t.Key == "db.namespace") database = t.Value as string;
                if (t.Key == "lattice.cache.origin") origin = t.Value as string;
                if (t.Key == "lattice.event.outcome") outcome = t.Value as string;
            }
            if (database != "wire-meter-db") return;
            string key = instrument.Name + (origin is null ? "" : "/" + origin) + (outcome is null ? "" : "/" + outcome);
            lock (seen) seen[key] = value;
        });
        listener.Start();
        listener.RecordObservableInstruments();

        Assert.True(seen.GetValueOrDefault("lattice.alerts.fired") >= 1, string.Join(", ", seen));
        Assert.Equal(1, seen.GetValueOrDefault("lattice.alerts.active"));
        Assert.True(seen.GetValueOrDefault("lattice.events/raised") >= 1);
        Assert.True(seen.ContainsKey("lattice.corruptions"));
        // Readahead loads in the background, so its count here is whatever has landed; the cache's own tests check the counts.
        Assert.True(seen.ContainsKey("lattice.cache.anticipated/readahead"), string.Join(", ", seen));
        Assert.True(seen.ContainsKey("lattice.cache.anticipated.used/preload"));
        Assert.True(seen.ContainsKey("lattice.cache.anticipated.wasted/prefetch"));
    }
}
