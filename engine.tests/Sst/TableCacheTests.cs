using System.Collections.Concurrent;
using System.Text;
using LatticeKV.Cache;
using LatticeKV.Io;
using LatticeKV.Keys;
using LatticeKV.Sst;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Backup.HealingSupport;

namespace LatticeKV.Tests.Sst;

public sealed class TableCacheTests
{
    [Fact]
    public void Acquire_ManyThreadsAtOnce_OpenEachTableOnce()
    {
        using var dir = new TempDir("tablecache");
        using (var db = LatticeDb.Open(dir.Sub("db"), Options())) Fill(db);
        using var reopened = LatticeDb.Open(dir.Sub("db"), Options(o => o.StartupCheck = StartupCheck.None));
        List<long> numbers;
        using (var live = reopened.CaptureLiveFiles()) numbers = [.. live.Files.Where(f => f.Kind == LatticeKV.Db.LiveFileKind.Table).Select(f => f.Number)];
        Assert.True(numbers.Count >= 3);
        Assert.Equal(0, reopened.Tables.OpenCount);
        using var start = new Barrier(8);
        var seen = new LatticeKV.Sst.TableReader[8][];
        var errors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        var threads = Enumerable.Range(0, 8).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            try
            {
                seen[t] = [.. numbers.Select(n =>
                {
                    using var lease = reopened.Tables.Acquire(n);
                    return lease.Reader;
                })];
            }
            catch (Exception ex)
            {
                errors.Enqueue(ex);
            }
        })).ToList();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        Assert.Empty(errors);
        Assert.Equal(numbers.Count, reopened.Tables.OpenCount);
        for (int t = 1; t < 8; t++)
            for (int i = 0; i < numbers.Count; i++) Assert.Same(seen[0][i], seen[t][i]);
    }

    private static readonly InternalKeyComparator Cmp = new(KeyComparator.Bytewise);

    // Table 1 is large enough that its filter and fences are mappings of their own (freed memory
    // then faults when touched), the others small enough for the C heap.
    private static readonly int[] LifetimeTableKeys = [120_000, 3_000, 3_000, 3_000];

    private static byte[] UserKey(int table, int i) => Encoding.UTF8.GetBytes($"t{table}-{i:D7}");

    private static byte[] ValueOf(int table, int i) => Encoding.UTF8.GetBytes($"value-{table}-{i}");

    private static TableCache LifetimeCache(MemFileSystem fs)
    {
        fs.CreateDirectory("/db");
        for (int t = 0; t < LifetimeTableKeys.Length; t++)
        {
            // Small blocks: many fences per table, and many block reads per lookup.
            using var builder = new TableBuilder(fs.CreateWritable(FileNames.Table("/db", t + 1)), new TableBuilderOptions(Cmp, 128, 16, CompressionType.Snappy, 10));
            for (int i = 0; i < LifetimeTableKeys[t]; i++) builder.Add(InternalKey.Create(UserKey(t, i), (ulong)(i + 1), ValueKind.Value), ValueOf(t, i));
            builder.Finish();
        }
        return new TableCache(fs, "/db", new TableReaderOptions(Cmp, new BlockCache<Block>(1 << 20), false), 16);
    }

    /// <summary>The value <paramref name="reader"/> holds for <paramref name="userKey"/>, or null.</summary>
    private static byte[]? Lookup(TableReader reader, byte[] userKey)
    {
        var lookup = InternalKey.Create(userKey, InternalKey.MaxSequence, ValueKinds.ForSeek);
        if (!reader.Get(lookup, true, out _, out var block, out int offset, out int length)) return null;
        try { return block!.Data.AsSpan(offset, length).ToArray(); }
        finally { block!.Unpin(); }
    }

    [Fact]
    public void Evict_WhileLeaseHeld_ReaderReadableUntilLastLeaseThenFreed()
    {
        var fs = new MemFileSystem();
        using var cache = LifetimeCache(fs);
        var lease = cache.Acquire(1);
        var reader = lease.Reader;
        cache.Evict(1);
        // Evicted but leased: its filter and fences are still there.
        Assert.Equal(ValueOf(0, 4242), Lookup(reader, UserKey(0, 4242)));
        Assert.True(reader.Filter.Length > 0);
        lease.Dispose();
        // The last lease closed it: the native memory is gone, and a use is an exception, not a read of freed memory.
        Assert.Throws<ObjectDisposedException>(() => reader.Filter.Length);
        Assert.Throws<ObjectDisposedException>(() => reader.Fences.Handle(0));
        // A prefetch through a stale hint reads nothing and must not fault.
        object? hint = null;
        using (var again = cache.Acquire(1, ref hint)) Assert.NotSame(reader, again.Reader);
        cache.Evict(1);
        TableCache.PrefetchFilter(hint, BloomFilter.Hash(UserKey(0, 1)));
    }

    [Fact]
    public void Acquire_ReadersRacingEviction_ReadCorrectValuesFromLiveTables()
    {
        int seed = TestSeed.Get(Environment.TickCount);
        Console.WriteLine($"seed {seed}");
        var fs = new MemFileSystem();
        using var cache = LifetimeCache(fs);
        const int Readers = 4;
        int rounds = 400 * TestSeed.Scale;
        var errors = new ConcurrentQueue<Exception>();
        var hints = new object?[LifetimeTableKeys.Length];
        int readersLeft = Readers;
        using var start = new Barrier(Readers + 1);
        var threads = Enumerable.Range(0, Readers).Select(r => new Thread(() =>
        {
            var rnd = new Random(seed + r);
            start.SignalAndWait();
            try
            {
                for (int round = 0; round < rounds; round++)
                {
                    int t = rnd.Next(LifetimeTableKeys.Length);
                    // Through the shared hint, as a lookup does: it may name a table already closed.
                    TableCache.PrefetchFilter(Volatile.Read(ref hints[t]), BloomFilter.Hash(UserKey(t, 0)));
                    object? hint = Volatile.Read(ref hints[t]);
                    using var lease = cache.Acquire(t + 1, ref hint);
                    Volatile.Write(ref hints[t], hint);
                    for (int probe = 0; probe < 8; probe++)
                    {
                        int i = rnd.Next(LifetimeTableKeys[t]);
                        var value = Lookup(lease.Reader, UserKey(t, i));
                        if (value is null || !value.AsSpan().SequenceEqual(ValueOf(t, i))) throw new InvalidOperationException($"table {t + 1} key {i}: wrong value");
                        if (Lookup(lease.Reader, UserKey(t, LifetimeTableKeys[t] + i)) is not null) throw new InvalidOperationException($"table {t + 1}: absent key {i} found");
                    }
                    int first = rnd.Next(LifetimeTableKeys[t]);
                    using var it = lease.Reader.NewIterator(fillCache: true);
                    it.Seek(InternalKey.Create(UserKey(t, first), InternalKey.MaxSequence, ValueKinds.ForSeek));
                    for (int i = first; i < Math.Min(first + 50, LifetimeTableKeys[t]); i++, it.Next())
                        if (!it.Valid || !it.Value.SequenceEqual(ValueOf(t, i))) throw new InvalidOperationException($"table {t + 1}: iterator wrong at key {i}");
                    if (rnd.Next(4) == 0) lease.Reader.ApproximateOffsetOf(InternalKey.Create(UserKey(t, first), 1, ValueKind.Value));
                }
            }
            catch (Exception ex)
            {
                errors.Enqueue(ex);
            }
            finally
            {
                Interlocked.Decrement(ref readersLeft);
            }
        })).ToList();
        foreach (var thread in threads) thread.Start();
        start.SignalAndWait();
        // Close tables while the readers use them, until they are done: every close waits for the last lease.
        var closer = new Random(seed);
        int evictions = 0;
        while (Volatile.Read(ref readersLeft) > 0)
        {
            cache.Evict(closer.Next(LifetimeTableKeys.Length) + 1);
            evictions++;
            Thread.Yield();
        }
        foreach (var thread in threads) thread.Join();
        Assert.True(errors.IsEmpty, $"seed {seed}: {errors.FirstOrDefault()}");
        Assert.True(evictions > 0);
    }
}
