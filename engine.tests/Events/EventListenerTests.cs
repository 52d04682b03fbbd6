using System.Text;
using LatticeKV.Events;
using LatticeKV.Io;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Events;

/// <summary>Events of a real database: listeners, the logger, the EVENTS file, alerts end to end.</summary>
public sealed class EventListenerTests
{
    private sealed class Thrower : IEventListener
    {
        public void OnEvent(LatticeEvent e) => throw new InvalidOperationException("listener bug");
    }

    private static void Fill(LatticeDb db, int from, int count)
    {
        for (int i = from; i < from + count; i++) db.Put(Encoding.UTF8.GetBytes($"key{i:D6}"), new byte[100]);
    }

    [Fact]
    public void FlushAndCompaction_RaiseBegunAndCompletedEvents_EvenWhenAnotherListenerThrows()
    {
        using var dir = new TempDir("events-listener");
        var recorder = new RecordingListener();
        var logger = new TestLogger();
        var options = new DbOptions { Logger = logger };
        options.EventListeners.Add(new Thrower());
        options.EventListeners.Add(recorder);
        using (var db = LatticeDb.Open(dir.Path, options))
        {
            Fill(db, 0, 100);
            db.Flush();
            Fill(db, 100, 100);
            db.Flush();
            db.CompactRange();
            db.Events.WaitIdle();
            Assert.True(db.Events.ListenerFailures >= 4, $"failures {db.Events.ListenerFailures}");
        }
        var events = recorder.Events;
        var begun = events.OfType<FlushBegunEvent>().ToList();
        var completed = events.OfType<FlushCompletedEvent>().ToList();
        Assert.Equal(2, begun.Count);
        Assert.Equal(begun.Select(b => b.JobId), completed.Select(c => c.JobId));
        Assert.All(completed, c => Assert.True(c.Succeeded && c.OutputFile > 0 && c.BytesWritten > 0, c.ToString()));
        Assert.True(events.IndexOf(begun[0]) < events.IndexOf(completed[0]));
        var compaction = Assert.Single(events.OfType<CompactionCompletedEvent>(), c => !c.InputFiles.SequenceEqual(c.OutputFiles));
        Assert.Equal(completed.Select(c => c.OutputFile).Order(), compaction.InputFiles.Order());
        Assert.True(compaction.Succeeded && compaction.BytesRead > 0 && compaction.BytesWritten > 0 && compaction.OutputFiles.Count > 0);
        Assert.Equal("default", compaction.ColumnFamily);
        Assert.Contains(logger.Entries, e => e.EventId.Name == nameof(EventKind.FlushCompleted) && e.Level == Microsoft.Extensions.Logging.LogLevel.Information);
    }

    [Fact]
    public void EventFile_RecordsEvents_SkipsATornLine_AndSurvivesReopen()
    {
        using var dir = new TempDir("events-file");
        using (var db = LatticeDb.Open(dir.Path))
        {
            Fill(db, 0, 10);
            db.Flush();
        }
        string file = Path.Combine(dir.Path, FileNames.Events);
        var first = EventFileReader.ReadAll(RealFileSystem.Instance, dir.Path);
        Assert.Equal(["FlushBegun", "FlushCompleted"], first.Select(e => e.Kind));
        Assert.Equal("Information", first[1].Level);
        Assert.True(first[1].Fields.GetProperty("bytes_written").GetInt64() > 0);
        // A crash mid-line: the torn line is skipped, the next open starts a new line.
        File.AppendAllText(file, "{\"time\":\"2026-01-01T00:00:00.000Z\",\"kind\":\"Flu");
        Assert.Equal(2, EventFileReader.ReadAll(RealFileSystem.Instance, dir.Path).Count);
        using (var db = LatticeDb.Open(dir.Path))
        {
            Fill(db, 10, 10);
            db.Flush();
        }
        var all = EventFileReader.ReadAll(RealFileSystem.Instance, dir.Path);
        Assert.Equal(4, all.Count);
        Assert.True(all[2].Time >= all[1].Time);
        // A read-only open writes nothing.
        byte[] before = File.ReadAllBytes(file);
        using (var ro = LatticeDb.OpenReadOnly(dir.Path)) Assert.NotNull(ro.Get("key000001"u8));
        Assert.Equal(before, File.ReadAllBytes(file));
    }

    [Fact]
    public void EventFile_IsBoundedByRotatingToOneOlderFile()
    {
        using var dir = new TempDir("events-rotate");
        using (var db = LatticeDb.Open(dir.Path, new DbOptions { EventLogMaxBytes = 2048 }))
        {
            for (int i = 0; i < 20; i++)
            {
                Fill(db, i * 10, 10);
                db.Flush();
            }
        }
        long current = new FileInfo(Path.Combine(dir.Path, FileNames.Events)).Length;
        long old = new FileInfo(Path.Combine(dir.Path, FileNames.EventsOld)).Length;
        Assert.True(current + old <= 2048, $"{current} + {old}");
        var events = EventFileReader.ReadAll(RealFileSystem.Instance, dir.Path);
        Assert.NotEmpty(events);
        Assert.True(events.Count < 40, $"{events.Count} events kept"); // 20 flushes raised 40 flush events, besides compactions
    }

    [Fact]
    public void EventFile_IsNotPurgedNorRequiredByACheckpoint()
    {
        using var dir = new TempDir("events-checkpoint");
        string path = dir.Sub("db");
        string copy = dir.Sub("copy");
        using (var db = LatticeDb.Open(path))
        {
            Fill(db, 0, 50);
            db.Flush();
            db.CompactRange();
            db.CreateCheckpoint(copy);
        }
        Assert.True(File.Exists(Path.Combine(path, FileNames.Events)));
        Assert.False(File.Exists(Path.Combine(copy, FileNames.Events)));
        Assert.Equal("events", LatticeKV.Inspect.DatabaseInspector.Inspect(path).Files.Single(f => f.FileName == FileNames.Events).Kind);
        using var reopened = LatticeDb.Open(copy);
        Assert.NotNull(reopened.Get("key000001"u8));
    }

    [Fact]
    public void CacheHitRatioAlert_OnARealDatabase_FiresThroughAllChannels()
    {
        using var dir = new TempDir("events-alert");
        var clock = new TimerClock(DateTimeOffset.UtcNow);
        var recorder = new RecordingListener();
        var logger = new TestLogger();
        var options = new DbOptions { Clock = clock, Logger = logger, BlockCacheCapacity = 0, Alerts = new AlertOptions { EvaluationInterval = TimeSpan.FromMinutes(1) } };
        options.Alerts.Rules.Add(AlertRule.CacheHitRatioBelow(0.5, TimeSpan.FromMinutes(1)));
        options.EventListeners.Add(recorder);
        using (var db = LatticeDb.Open(dir.Path, options))
        {
            Fill(db, 0, 100);
            db.Flush();
            clock.Advance(TimeSpan.FromMinutes(1)); // no reads yet: nothing measured
            Assert.Empty(db.GetActiveAlerts());
            for (int i = 0; i < 100; i++) Assert.NotNull(db.Get(Encoding.UTF8.GetBytes($"key{i:D6}")));
            clock.Advance(TimeSpan.FromMinutes(1));
            var active = Assert.Single(db.GetActiveAlerts());
            Assert.Equal("cache-hit-ratio", active.Name);
            Assert.Equal(0, active.Value);
            Assert.Equal(1, db.Alerts!.Fired);
            db.Events.WaitIdle();
        }
        Assert.Single(recorder.Events.OfType<AlertFiredEvent>());
        Assert.Contains(logger.Entries, e => e.Level == Microsoft.Extensions.Logging.LogLevel.Warning && e.EventId.Name == "AlertFired");
        Assert.Contains(EventFileReader.ReadAll(RealFileSystem.Instance, dir.Path), e => e.Kind == "AlertFired" && e.Level == "Warning");
        Assert.Equal(0, clock.ActiveTimers);
    }

    [Fact]
    public void WriteStall_RaisesOneBegunAndOneEndedEventPerEpisode_AndCountsStallTime()
    {
        using var dir = new TempDir("events-stall");
        var fs = new GatedTableFileSystem(RealFileSystem.Instance);
        using var stalled = new ManualResetEventSlim();
        var recorder = new RecordingListener();
        var options = new DbOptions { WriteBufferSize = 4096, MaxWriteBufferNumber = 2, FileSystem = fs };
        options.EventListeners.Add(recorder);
        options.EventListeners.Add(new Signal(e => e is WriteStallBegunEvent, stalled));
        using var db = LatticeDb.Open(dir.Path, options);
        // Flushes hang at their table: the second full memtable has nowhere to go, and the writer waits.
        using var threads = new TestThreads();
        threads.Stopping.Register(fs.Open); // a failed assertion must not leave the writer stalled
        var writer = threads.Start("writer", () => Fill(db, 0, 200));
        threads.Wait(stalled, "no stall was reported", TimeSpan.FromSeconds(60));
        Assert.True(writer.IsAlive);
        fs.Open();
        threads.JoinAndRethrow(TimeSpan.FromSeconds(60));
        db.Flush();
        Fill(db, 1000, 1);
        db.Events.WaitIdle();
        // Each episode (the gated one, and any the small memtables cause after) is one begun and one ended, in turn.
        var stalls = recorder.Events.Where(e => e is WriteStallBegunEvent or WriteStallEndedEvent).ToList();
        Assert.NotEmpty(stalls);
        for (int i = 0; i < stalls.Count; i++)
        {
            if (i % 2 == 0)
            {
                Assert.Equal("memtables waiting for flush", Assert.IsType<WriteStallBegunEvent>(stalls[i]).Reason);
                continue;
            }
            var ended = Assert.IsType<WriteStallEndedEvent>(stalls[i]);
            Assert.Equal(((WriteStallBegunEvent)stalls[i - 1]).Reason, ended.Reason);
            Assert.True(ended.Duration > TimeSpan.Zero);
        }
        Assert.True(stalls.Count % 2 == 0, "the last episode did not end");
        Assert.True(db.GetStatistics()["write.stall.micros"] > 0);
    }

    [Fact]
    public async Task SyncWith_RaisesASyncRoundEvent_WithTheChangesMoved()
    {
        using var dir = new TempDir("events-sync");
        var aId = SyncIdentity.Create("a");
        var bId = SyncIdentity.Create("b");
        var recorder = new RecordingListener();
        var bOptions = new DbOptions { SyncIdentity = bId };
        bOptions.EventListeners.Add(recorder);
        using var a = LatticeDb.Open(dir.Sub("a"), new DbOptions { SyncIdentity = aId });
        using var b = LatticeDb.Open(dir.Sub("b"), bOptions);
        var aKv = a.CreateColumnFamily("kv", new ColumnFamilyOptions { Replicated = true });
        var bKv = b.CreateColumnFamily("kv", new ColumnFamilyOptions { Replicated = true });
        for (int i = 0; i < 5; i++) a.Put(aKv, Encoding.UTF8.GetBytes($"a{i}"), "v"u8);
        b.Put(bKv, "b0"u8, "v"u8);
        var serverOptions = new SyncServerOptions();
        serverOptions.TrustedPeerIds.Add(bId.PeerId);
        await using var server = a.StartSyncServer(serverOptions);
        var result = await b.SyncWith(new SyncPeer("127.0.0.1", server.Port, aId.PeerId));
        b.Events.WaitIdle();
        var round = Assert.Single(recorder.Events.OfType<SyncRoundEvent>());
        Assert.True(round.Succeeded, round.Error);
        Assert.Equal(result.ChangesReceived, round.ChangesReceived);
        Assert.Equal(result.ChangesSent, round.ChangesSent);
        Assert.Equal(5, round.ChangesReceived);
        Assert.Equal($"127.0.0.1:{server.Port}", round.Peer);
    }

    private sealed class Signal(Func<LatticeEvent, bool> match, ManualResetEventSlim signal) : IEventListener
    {
        public void OnEvent(LatticeEvent e)
        {
            if (match(e)) signal.Set();
        }
    }
}
