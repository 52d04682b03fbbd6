using LatticeKV.Db;
using LatticeKV.Io;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Db;

/// <summary>The write-ahead logs' bookkeeping: closed logs synced once, and a failed sync never forgotten.</summary>
public class LogFilesTests
{
    [Fact]
    public void SyncClosed_AfterAFailedSync_KeepsFailing()
    {
        // The failed sync took the closed logs off the unsynced list: a later sync that found the
        // list empty and succeeded would let a synced write (or a flush) go on as though they were durable.
        var disk = new MemFileSystem();
        disk.CreateDirectory(DbPath);
        var faults = new FaultInjectionFileSystem(disk, seed: 5);
        var mutex = new object();
        var logs = new LogFiles(faults, DbPath, 1 << 20, mutex);
        lock (mutex) logs.Roll(10);
        logs.Append([], B("batch in log 10"));
        lock (mutex) logs.Roll(11);
        faults.Add(new FaultRule(FaultKind.FailSync, DbFileKind.Log, times: 1));
        Assert.Throws<LatticeIOException>(logs.SyncClosed);
        var again = Assert.Throws<LatticeIOException>(logs.SyncClosed);
        Assert.Contains("earlier fsync", again.Message, StringComparison.Ordinal);
        Assert.Throws<LatticeIOException>(logs.SyncAll);
        Assert.NotNull(logs.Close(sync: true));
    }

    [Fact]
    public void DropColumnFamily_WhileWritersWriteToIt_NeitherCorruptsTheLogNorTheMemtables()
    {
        // Dropping releases the family's memtables, whose arenas are reused at once: a write group
        // still inserting into them would read recycled chunks, fail after being logged, and leave
        // its sequence numbers to be logged twice.
        var disk = new MemFileSystem();
        var options = MemOptions(disk, o => o.WriteBufferSize = 64 * 1024);
        using (var db = LatticeDb.Open(DbPath, options))
        {
            for (int round = 0; round < 15; round++)
            {
                var cf = db.CreateColumnFamily($"t{round}");
                using var started = new ManualResetEventSlim();
                int written = 0;
                var writer = new Thread(() =>
                {
                    var value = new byte[200];
                    try
                    {
                        for (int i = 0; ; i++)
                        {
                            db.Put(cf, B($"k{i:D6}"), value);
                            db.Put(B($"default-{round}-{i:D6}"), value);
                            if (Interlocked.Increment(ref written) == 200) started.Set();
                        }
                    }
                    catch (ColumnFamilyNotFoundException) { }
                    finally { started.Set(); }
                });
                writer.Start();
                started.Wait();
                db.DropColumnFamily(cf);
                writer.Join();
                db.Put(B($"after-{round}"), B("1"));
            }
        }
        using var reopened = LatticeDb.Open(DbPath, options);
        for (int round = 0; round < 15; round++) Assert.Equal("1", S(reopened.Get(B($"after-{round}"))));
    }
}
