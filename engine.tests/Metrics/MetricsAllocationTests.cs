using System.Diagnostics.Metrics;
using LatticeKV.Metrics;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Metrics;

/// <summary>Timing operations allocates nothing per operation, with a listener attached or not.</summary>
[Collection(MeterListenerCollection.Name)]
public sealed class MetricsAllocationTests
{
    private const int Operations = 20_000;

    [Fact]
    public void TimedGetsAndIteratorSteps_AllocateNothing_WithOrWithoutAListener()
    {
        using var dir = new TempDir("alloc");
        // The threshold makes every operation timed even without a listener (none is slow).
        using var db = LatticeDb.Open(dir.Path, new DbOptions { SlowOperationThreshold = TimeSpan.FromHours(1), LatencySampling = 1 });
        var users = db.CreateColumnFamily("users");
        foreach (var key in Keys) db.Put(users, key, "value"u8);
        db.Flush(users);
        var buffer = new byte[64];
        using var it = db.NewIterator(users);

        long without = Allocated(() => ReadMany(db, users, it, buffer));
        long with;
        using (var listener = AggregatingListener.Start())
        {
            with = Allocated(() => ReadMany(db, users, it, buffer));
            Assert.True(listener.Count >= 3 * Operations, $"the listener saw {listener.Count} measurements");
        }

        Assert.True(without < 1024, $"{without} bytes over {Operations} gets and steps without a listener");
        Assert.True(with < 1024, $"{with} bytes over {Operations} gets and steps with a listener");
    }

    [Fact]
    public void TimedPuts_AllocateNoMorePerOperation_WithAListener()
    {
        using var dir = new TempDir("alloc");
        // One memtable takes every put (no switch); its arena's chunks are what both runs allocate.
        using var db = LatticeDb.Open(dir.Path, new DbOptions { WriteBufferSize = 4 << 20, SlowOperationThreshold = TimeSpan.FromHours(1), LatencySampling = 1 });
        Allocated(() => PutMany(db, 0)); // warms up the thread's batch and the code paths

        long without = Allocated(() => PutMany(db, 1));
        long with;
        using (var listener = AggregatingListener.Start())
        {
            with = Allocated(() => PutMany(db, 2));
            Assert.True(listener.Count >= Operations, $"the listener saw {listener.Count} measurements");
        }

        // An object per put would add at least 24 bytes each; a new arena chunk (256 KiB) may fall in either run.
        Assert.True(with - without < 300 * 1024, $"{with} bytes with a listener, {without} without, over {Operations} puts");
    }

    [Fact]
    public void DbMetricsStartAndStop_AllocateNothing_WithAListener()
    {
        var metrics = new DbMetrics("alloc", TimeProvider.System, TimeSpan.FromHours(1));
        using var listener = AggregatingListener.Start();
        metrics.Stop(metrics.Start(), OperationKind.Get, "users", false, "k"u8); // warm-up

        long allocated = Allocated(() =>
        {
            for (int i = 0; i < Operations; i++)
            {
                metrics.Stop(metrics.Start(), OperationKind.Get, "users", false, "k"u8);
                metrics.Stop(metrics.Start(), OperationKind.Write, null, false, default);
            }
        });

        Assert.Equal(0, allocated);
        Assert.True(listener.Count >= 2 * Operations);
    }

    private static readonly byte[][] Keys = [.. Enumerable.Range(0, 100).Select(BitConverter.GetBytes)];

    private static void ReadMany(LatticeDb db, ColumnFamilyHandle users, LatticeIterator it, byte[] buffer)
    {
        for (int i = 0; i < Operations; i++)
        {
            Assert.True(db.TryGet(users, Keys[i % 100], buffer, out _));
            it.Seek(Keys[i % 100]);
            it.Next();
        }
    }

    private static void PutMany(LatticeDb db, int round)
    {
        Span<byte> key = stackalloc byte[8];
        for (int i = 0; i < Operations; i++)
        {
            BitConverter.TryWriteBytes(key, round * Operations + i);
            db.Put(key, "v"u8);
        }
    }

    private static long Allocated(Action action)
    {
        action(); // once to warm up what it touches first
        long before = GC.GetAllocatedBytesForCurrentThread();
        action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    /// <summary>A listener that aggregates as an exporter would (a sum and a count), allocating nothing per measurement.</summary>
    private sealed class AggregatingListener : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _count;
        private double _sum;

        public long Count => Interlocked.Read(ref _count);

        public static AggregatingListener Start()
        {
            var a = new AggregatingListener();
            a._listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == LatticeMeter.Name) l.EnableMeasurementEvents(instrument, a);
            };
            a._listener.SetMeasurementEventCallback<double>(static (_, value, _, state) => ((AggregatingListener)state!).Add(value));
            a._listener.Start();
            return a;
        }

        private void Add(double value)
        {
            Interlocked.Increment(ref _count);
            lock (_listener) _sum += value;
        }

        public void Dispose() => _listener.Dispose();
    }
}
