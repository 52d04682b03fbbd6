using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Db;

/// <summary>
/// A put allocates nothing on the managed heap once its thread's batch is warm: the memtable is
/// outside the heap, and the write path walks a batch's families and the group's column families
/// without boxing an enumerator. Garbage per put fills the collector's youngest generation
/// between collections, and that memory is resident: at a high write rate, megabytes of it.
/// </summary>
public sealed class PutAllocationTests
{
    private const int Puts = 20_000;

    [Fact]
    public void Puts_AfterWarmUp_AllocateLessThanAnObjectEach()
    {
        using var dir = new TempDir("put-alloc");
        // One memtable takes every put (no switch, no flush).
        using var db = LatticeDb.Open(dir.Path, new DbOptions { WriteBufferSize = 16 << 20 });
        var key = new byte[16];
        var value = new byte[100];
        PutMany(db, key, value, 0); // warms up the thread's batch and the code paths

        using var ticks = new AllocationTicks();
        long before = GC.GetAllocatedBytesForCurrentThread();
        PutMany(db, key, value, Puts);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // The smallest object (a boxed enumerator was one per put) takes 24 bytes.
        Assert.True(allocated < Puts * 8L, $"{allocated} bytes allocated over {Puts} puts; sampled types: {string.Join(", ", ticks.Types)}");
    }

    private static void PutMany(LatticeDb db, byte[] key, byte[] value, int from)
    {
        for (int i = from; i < from + Puts; i++)
        {
            BitConverter.TryWriteBytes(key, i);
            db.Put(key, value);
        }
    }

    /// <summary>The types the runtime's allocation tick (about one event per 100 KB) names, for the failure message.</summary>
    private sealed class AllocationTicks : EventListener
    {
        public ConcurrentQueue<string> Types { get; } = new();

        protected override void OnEventSourceCreated(EventSource source)
        {
            if (source.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(source, EventLevel.Verbose, (EventKeywords)1);
        }

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            if (e.EventName is "GCAllocationTick_V4" && e.PayloadNames is { } names && e.Payload is { } payload)
                Types.Enqueue(payload[names.IndexOf("TypeName")]?.ToString() ?? "");
        }
    }
}
