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
}
