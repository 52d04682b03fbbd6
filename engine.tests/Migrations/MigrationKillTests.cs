using LatticeKV.Migrations;
using LatticeKV.Tests.Support;
using Xunit.Abstractions;

namespace LatticeKV.Tests.Migrations;

/// <summary>
/// kill -9 during the ledger's split-name migration (lkv migrate-child): every reopen resumes,
/// the last one completes, and the data equals the model's migrated state with every entry
/// processed exactly once (the step's recorded count).
/// </summary>
public sealed class MigrationKillTests(ITestOutputHelper output)
{
    /// <summary>The million accounts in every run: a few kills keep it near a minute.</summary>
    private const int Accounts = 1_000_000;

    [Fact]
    public void MigrateChild_KilledAtRandomBatches_ResumesAndCompletesExactlyOnce()
    {
        int seed = TestSeed.Get(2121);
        output.WriteLine($"seed {seed} (LKV_SEED replays)");
        var rng = new Random(seed);
        int kills = 3 * TestSeed.Scale;
        using var dir = new TempDir("migrate-kill");
        string path = dir.Sub("db");
        Ledger.Create(path, Accounts);
        List<string> other;
        using (var db = LatticeDb.Open(path)) other = TestDb.Contents(db, db.GetColumnFamily("other"));

        // Apply and publish each commit Accounts / MigrationBatchEntries batches; every kill lands
        // within its share so the child never finishes before it.
        int batches = 2 * Accounts / LatticeDb.MigrationBatchEntries;
        for (int k = 0; k < kills; k++)
        {
            int target = rng.Next(1, batches / (kills + 1));
            output.WriteLine($"kill {k + 1}: after {target} batches");
            KilledChild.RunUntil(["migrate-child", path], line => line.StartsWith("B ", StringComparison.Ordinal), target);
            using var db = LatticeDb.OpenReadOnly(path);
            var progress = db.MigrationInProgress;
            Assert.NotNull(progress);
            output.WriteLine($"  in progress: {progress.StepName} {progress.Phase} pass {progress.Pass}, {progress.EntriesDone} done");
            // Until the step commits the old data is what every reader sees, except while publishing.
            if (progress.Phase == MigrationPhase.Apply)
                Assert.Equal(Ledger.V1(Accounts - 1), db.Get(db.GetColumnFamily("accounts"), Ledger.Key(Accounts - 1)));
        }
        var last = Lkv.Run(["migrate-child", path], timeout: TimeSpan.FromMinutes(3));
        Assert.True(last.ExitCode == 0 && last.Stdout.Contains("DONE", StringComparison.Ordinal), last.ToString());

        var options = new DbOptions();
        options.Migrations.Add(Ledger.Initial());
        options.Migrations.Add(Ledger.SplitName());
        using (var db = LatticeDb.Open(path, options))
        {
            var accounts = db.GetColumnFamily("accounts");
            Assert.Equal(2, db.GetSchemaVersion(accounts));
            Assert.Null(db.MigrationInProgress);
            int i = 0;
            using (var it = db.NewIterator(accounts))
            {
                for (it.SeekToFirst(); it.Valid; it.Next(), i++)
                {
                    if (!it.Key.SequenceEqual(Ledger.Key(i)) || !it.Value.SequenceEqual(Ledger.V2(i)))
                        Assert.Fail($"account {i}: {TestDb.S(it.Key.ToArray())} = {TestDb.S(it.Value.ToArray())}");
                }
            }
            Assert.Equal(Accounts, i);
            Assert.Equal(other, TestDb.Contents(db, db.GetColumnFamily("other")));
            // Each account passed through apply once and publish once: a batch applied twice counts twice.
            var summary = db.Get(db.SchemaFamily(create: false)!, SchemaRecords.SummaryKey("split name"));
            Assert.Equal(2L * Accounts, SchemaRecords.DecodeCount(summary));
        }
        Assert.False(Directory.Exists(Path.Combine(path, MigrationCheckpoint.DirectoryName)));
    }

    /// <summary>
    /// The child kills itself right after the migration's Nth write, for several N: a crash at
    /// any commit boundary still applies every entry exactly once, even for a step whose output
    /// differs when repeated (an audit record under a fresh random id per account). Random kills rarely land in the instant between two writes; this does.
    /// </summary>
    [Fact]
    public void MigrateChild_KilledAfterExactWrites_CountsEveryEntryOnce()
    {
        int seed = TestSeed.Get(2122);
        output.WriteLine($"seed {seed} (LKV_SEED replays)");
        var rng = new Random(seed);
        const int count = 12_000; // 12 apply and 12 publish batches, plus the phase records
        using var dir = new TempDir("migrate-exact");
        string path = dir.Sub("db");
        Ledger.Create(path, count);
        for (int k = 0; k < 4; k++)
        {
            int n = rng.Next(1, 8);
            output.WriteLine($"kill {k + 1}: after write {n} of this run");
            var killed = Lkv.Run("migrate-child", path, "--audit", "--die-after-writes", n.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.True(killed.ExitCode == 137, killed.ToString());
        }
        var last = Lkv.Run("migrate-child", path, "--audit");
        Assert.True(last.ExitCode == 0, last.ToString());
        var options = new DbOptions();
        options.Migrations.Add(Ledger.Initial());
        options.Migrations.Add(Ledger.SplitName());
        using var db = LatticeDb.Open(path, options);
        var accounts = db.GetColumnFamily("accounts");
        for (int i = 0; i < count; i++) Assert.Equal(Ledger.V2(i), db.Get(accounts, Ledger.Key(i)));
        var summary = db.Get(db.SchemaFamily(create: false)!, SchemaRecords.SummaryKey("split name"));
        Assert.Equal(3L * count, SchemaRecords.DecodeCount(summary)); // applied once, then accounts and audit records published
        // One audit record per account: a batch whose output committed twice (under fresh ids) would leave more.
        Assert.Equal(count, TestDb.Contents(db, db.GetColumnFamily("audit")).Count);
    }
}
