using LatticeKV.Integrity;
using LatticeKV.Tests.Support;
using Xunit.Abstractions;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Integrity;

/// <summary>Adding a key to a database in use: writes during the verification, and an add interrupted by a crash.</summary>
public sealed class AddForeignKeyTests(ITestOutputHelper output)
{
    [Fact]
    public void AddForeignKey_WhileWritersBreakIt_RefusedWithViolationsOrAddedWithNoOrphan()
    {
        int seed = TestSeed.Get(Environment.TickCount);
        output.WriteLine($"seed {seed}");
        using var dir = new TempDir("fk-add-race");
        using var db = LatticeDb.Open(dir.Path);
        var ledger = new Ledger(db, addKey: false);
        for (int a = 0; a < 4; a++) ledger.Account("a" + a);
        for (int i = 0; i < 2000; i++) ledger.Transaction("seed" + i, "a" + (i % 4));
        using var stop = new CancellationTokenSource();
        // Anything else a writer meets fails the test (rather than the test host): a write racing
        // the key's withdrawal once met its dropped index family.
        var unexpected = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        var writers = Enumerable.Range(0, 3).Select(t => new Thread(() =>
        {
            var rnd = new Random(seed + t);
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    // Writers that would break the key: an orphan, or a parent deleted under children.
                    if (rnd.Next(2) == 0) ledger.Transaction($"w{t}-{rnd.Next(500)}", "a" + rnd.Next(6));
                    else db.Delete(ledger.Accounts, B("a" + (4 + rnd.Next(2))));
                }
                catch (ReferentialIntegrityException)
                {
                }
                catch (Exception ex)
                {
                    unexpected.Enqueue(ex);
                    return;
                }
            }
        })).ToList();
        writers.ForEach(w => w.Start());
        try
        {
            ledger.AddKey();
        }
        catch (ReferentialIntegrityException ex)
        {
            // Orphans written before the key was enforced are reported, and the key withdrawn.
            output.WriteLine($"add refused with {ex.Violations.Count} violations");
            Assert.NotEmpty(ex.Violations);
            Assert.Empty(db.ListForeignKeys());
            stop.Cancel();
            writers.ForEach(w => w.Join());
            Assert.Empty(unexpected);
            return;
        }
        finally
        {
            stop.Cancel();
            writers.ForEach(w => w.Join());
        }
        Assert.Empty(unexpected);
        ledger.AssertNoOrphans();
    }

    [Fact]
    public void Open_RecordLeftVerifying_WithdrawsTheKeyAndItsIndex()
    {
        using var dir = new TempDir("fk-verifying");
        using (var db = LatticeDb.Open(dir.Path))
        {
            var ledger = new Ledger(db);
            // What a crash during the add leaves: the record still Verifying.
            var live = db.ForeignKeys!.All.Single();
            Assert.True(db.TryGetFamilyAnyName(ForeignKeyFamilies.CatalogName, out var catalog));
            db.Put(catalog, B(live.Name), (live.Record with { State = ForeignKeyState.Verifying }).Encode());
        }
        using (var db = LatticeDb.Open(dir.Path))
        {
            Assert.Empty(db.ListForeignKeys());
            Assert.DoesNotContain(db.Indexes!.All, i => ForeignKeyFamilies.IsOwnedIndex(i.Name));
            db.Put(db.GetColumnFamily("transactions"), B("t1"), Ledger.Txn("nobody"));
        }
        using (var db = LatticeDb.Open(dir.Path))
        {
            Assert.Empty(db.ListForeignKeys());
            Assert.False(db.TryGetFamilyAnyName(ForeignKeyFamilies.CatalogName, out var catalog) && db.Get(catalog, B("transaction-account")) is not null);
        }
    }
}
