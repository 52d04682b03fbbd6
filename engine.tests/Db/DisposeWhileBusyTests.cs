using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Db;

/// <summary>
/// Disposing a database while other threads still read, iterate and write must end each of
/// them with <see cref="ObjectDisposedException"/> (or a <see cref="LatticeException"/>), never
/// another exception, a wrong value or a crash, and must leave the directory reopenable with
/// every write that returned.
/// </summary>
public class DisposeWhileBusyTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Dispose_WhileReadersIteratorsAndAWriterRun_EndsThemWithTypedErrorsOnly(int seed)
    {
        using var dir = new TempDir("dispose-busy");
        var options = new DbOptions { WriteBufferSize = 256 * 1024, BlockCacheCapacity = 64 * 1024 };
        var db = LatticeDb.Open(dir.Path, options);
        for (int i = 0; i < 20_000; i++) db.Put(B($"k{i:D6}"), B($"v{i:D6}-{new string('x', 40)}"));
        db.Flush();
        long written = -1; // the last writer key whose Put returned
        var unexpected = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        var started = new CountdownEvent(4);
        using (var threads = new TestThreads())
        {
            void Run(string name, Action<Random> step) => threads.Start(name, () =>
            {
                var random = new Random(seed * 31 + name.Length);
                started.Signal();
                try
                {
                    while (true) step(random);
                }
                catch (Exception e) when (e is ObjectDisposedException or LatticeException)
                {
                    // The expected end: the database was closed under it.
                }
                catch (Exception e)
                {
                    unexpected.Enqueue(e);
                }
            });
            Run("getter", r =>
            {
                int i = r.Next(20_000);
                var value = db.Get(B($"k{i:D6}"));
                if (value is not null && S(value) != $"v{i:D6}-{new string('x', 40)}") throw new InvalidOperationException($"wrong value for k{i:D6}");
            });
            Run("iterator", r =>
            {
                using var it = db.NewIterator();
                it.Seek(B($"k{r.Next(20_000):D6}"));
                for (int n = 0; n < 200 && it.Valid; n++) it.Next();
            });
            Run("range", r =>
            {
                using var snapshot = db.GetSnapshot();
                _ = db.Get(B($"k{r.Next(20_000):D6}"), new ReadOptions { Snapshot = snapshot });
            });
            long n = 0;
            Run("writer", _ =>
            {
                db.Put(B($"w{n:D8}"), B(new string('y', 200)));
                Volatile.Write(ref written, n++);
            });
            Assert.True(started.Wait(TimeSpan.FromMinutes(1)));
            SpinWait.SpinUntil(() => Volatile.Read(ref written) >= 2_000 + seed * 500, TimeSpan.FromMinutes(1));
            db.Dispose();
            threads.JoinAndRethrow();
        }
        Assert.Empty(unexpected);
        long last = Volatile.Read(ref written);
        Assert.True(last >= 0);
        using var reopened = LatticeDb.Open(dir.Path, new DbOptions());
        Assert.NotNull(reopened.Get(B($"w{last:D8}")));
        Assert.Equal($"v{19_999:D6}-{new string('x', 40)}", S(reopened.Get(B("k019999"))));
    }
}
