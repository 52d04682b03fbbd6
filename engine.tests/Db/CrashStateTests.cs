using LatticeKV.Io;
using LatticeKV.Tests.Support;
using LatticeKV.Tool.Crash.States;
using Xunit.Abstractions;

namespace LatticeKV.Tests.Db;

/// <summary>
/// Crash states beyond kill -9 (ALICE, CrashMonkey): a workload runs on the real file system
/// (the real memory-mapped log) through a recording wrapper, then crash states that keep what
/// fsync made durable and any allowed subset of the rest are built, opened and checked
/// (README, "Crash states"). Bounded here; <c>lkv torture --mode states</c> runs the long version.
/// </summary>
public sealed class CrashStateTests(CrashStateTests.RecordedWorkload recorded, ITestOutputHelper output) : IClassFixture<CrashStateTests.RecordedWorkload>
{
    /// <summary>One recorded workload (batches within one column family each) shared by the tests of this class.</summary>
    public sealed class RecordedWorkload : IDisposable
    {
        private readonly TempDir _dir = new("crash-states");

        public RecordedWorkload()
        {
            Seed = TestSeed.Get(16);
            Directory = _dir.Sub("db");
            var (ops, history) = new StatesWorkload(Seed) { Batches = 300 * TestSeed.Scale, CrossColumnFamilyBatches = false }.Run(Directory);
            Trace = new CrashTrace(ops);
            History = history;
        }

        public int Seed { get; }

        public string Directory { get; }

        internal CrashTrace Trace { get; }

        internal WorkloadHistory History { get; }

        public void Dispose() => _dir.Dispose();
    }

    [Fact]
    public void Explore_RecordedWorkload_EveryStateKeepsThePromise()
    {
        var report = new CrashStateExplorer(recorded.Trace, recorded.History, recorded.Directory, recorded.Seed)
        {
            CrashPoints = 80 * TestSeed.Scale,
            StatesPerPoint = 12,
        }.Run();
        Print(report, recorded.Seed);
        Assert.True(report.ViolationCount == 0, string.Join(Environment.NewLine, report.Violations));
        Assert.True(report.CrashPoints >= 60, $"{report.CrashPoints} crash points");
        Assert.True(report.DistinctStates >= 300, $"{report.DistinctStates} distinct states");
        // Subsets, not prefixes: some states keep a later unsynced page and lose an earlier one.
        Assert.True(report.NonPrefixStates >= 20, $"{report.NonPrefixStates} states beyond prefixes");
        Assert.True(report.DistinctByModel[PersistenceModel.AnySubset] > report.DistinctByModel[PersistenceModel.Ext4Ordered],
            "the any-subset model allows more states than ext4's ordered mode");
    }

    [SkippableFact]
    public void Explore_BatchesAcrossColumnFamilies_EveryStateKeepsThePromise()
    {
        int seed = TestSeed.Get(61);
        using var dir = new TempDir("crash-states");
        var (ops, history) = new StatesWorkload(seed) { Batches = 300 * TestSeed.Scale }.Run(dir.Sub("db"));
        var report = new CrashStateExplorer(new CrashTrace(ops), history, dir.Sub("db"), seed) { CrashPoints = 50 * TestSeed.Scale, StatesPerPoint = 12 }.Run();
        Print(report, seed);
        Assert.True(report.ViolationCount == 0, string.Join(Environment.NewLine, report.Violations));
        Assert.True(report.DistinctStates >= 200, $"{report.DistinctStates} distinct states");
    }

    [Fact]
    public void Explore_EncryptedWorkloadWithRotationAndAMasterKeyChange_EveryStateKeepsThePromise()
    {
        int seed = TestSeed.Get(17);
        using var dir = new TempDir("crash-states-enc");
        var (ops, history) = new StatesWorkload(seed) { Batches = 300 * TestSeed.Scale, Encrypted = true }.Run(dir.Sub("db"));
        Assert.Equal(2, history.EncryptionKeys.Count);
        var report = new CrashStateExplorer(new CrashTrace(ops), history, dir.Sub("db"), seed) { CrashPoints = 60 * TestSeed.Scale, StatesPerPoint = 12 }.Run();
        Print(report, seed);
        Assert.True(report.ViolationCount == 0, string.Join(Environment.NewLine, report.Violations));
        Assert.True(report.DistinctStates >= 200, $"{report.DistinctStates} distinct states");
    }

    [Fact]
    public void Explore_TraceWithTheLogFsyncOfASyncedWriteRemoved_ReportsTheLoss()
    {
        var (batch, sync, _) = LastSyncedBatch();
        AssertLossReported(batch, new HashSet<int> { sync });
    }

    [Fact]
    public void Explore_TraceWithTheLogPagesOfASyncedWriteRemoved_ReportsTheLoss()
    {
        var (batch, _, pages) = LastSyncedBatch();
        AssertLossReported(batch, pages);
    }

    /// <summary>
    /// The state that keeps only what fsync made durable, just after <paramref name="batch"/> was
    /// acknowledged: it passes on the recorded trace, and fails once <paramref name="removed"/> are
    /// taken out of the trace (as if the engine had never made them), under both models.
    /// </summary>
    private void AssertLossReported(WorkloadBatch batch, IReadOnlySet<int> removed)
    {
        var oracle = new DurabilityOracle(recorded.History);
        int point = batch.Ack + 1;
        foreach (var model in Enum.GetValues<PersistenceModel>())
        {
            var intact = DurableOnly(recorded.Trace, point, model);
            Assert.Empty(oracle.Check(point, StateObservation.Open(intact.Files)).Violations);

            var damaged = recorded.Trace.Without(removed);
            var lossy = DurableOnly(damaged, point - removed.Count, model);
            var verdict = oracle.Check(point, StateObservation.Open(lossy.Files));
            output.WriteLine($"seed {recorded.Seed}, {model}, batch {batch.Id}: {string.Join("; ", verdict.Violations.Take(2))}");
            Assert.NotEmpty(verdict.Violations);
        }
    }

    private CrashState DurableOnly(CrashTrace trace, int point, PersistenceModel model)
        => new CrashStateBuilder(trace, recorded.Directory).Build(new CrashChoice(point, model, trace.MetadataFloor(point, model), new HashSet<int>(),
            trace.FilesWithUnsyncedSize(point).ToDictionary(f => f, f => Math.Max(0, trace.LastSync(f, point))), "only what fsync made durable"));

    /// <summary>The last synced batch whose write fsynced the log once: that fsync's index, and the log pages written for it before.</summary>
    private (WorkloadBatch Batch, int Sync, IReadOnlySet<int> Pages) LastSyncedBatch()
    {
        var ops = recorded.Trace.Ops;
        foreach (var b in recorded.History.Batches.Where(b => b.Sync && b.Ack > 0).Reverse())
        {
            var syncs = Enumerable.Range(b.Begin, b.Ack - b.Begin).Where(i => ops[i].Kind == FsOpKind.SyncFile && ops[i].Path.EndsWith(".log", StringComparison.Ordinal)).ToList();
            if (syncs.Count != 1) continue;
            var pages = Enumerable.Range(b.Begin, syncs[0] - b.Begin).Where(i => ops[i].Kind == FsOpKind.Write && ops[i].File == ops[syncs[0]].File).ToHashSet();
            if (pages.Count > 0) return (b, syncs[0], pages);
        }
        throw new InvalidOperationException($"seed {recorded.Seed}: no synced batch with one log fsync");
    }

    [SkippableFact]
    public void Flush_OfOneColumnFamily_NeverHalfAppliesABatchAfterAPowerLoss()
    {
        using var dir = new TempDir("crash-states");
        string db = dir.Sub("db");
        var fs = new RecordingFileSystem(RealFileSystem.Instance);
        var history = new WorkloadHistory();
        int flushed;
        using (var d = LatticeDb.Open(db, StatesWorkload.Options(fs)))
        {
            var cf1 = d.CreateColumnFamily(WorkloadHistory.ColumnFamilyName(1));
            history.ColumnFamilyCreated[1] = fs.Mark("cf1 created");
            history.ColumnFamilyCreated[2] = int.MaxValue;
            // One batch across two column families, never synced; then only cf1 is flushed.
            var batch = new WorkloadBatch(1, [new(BatchOpKind.Put, 0, 1), new(BatchOpKind.Put, 1, 1)], Sync: false);
            history.Batches.Add(batch);
            var write = new WriteBatch();
            write.Put(d.DefaultColumnFamily, WorkloadHistory.Key(1), WorkloadHistory.Value(1, 0, 1));
            write.Put(cf1, WorkloadHistory.Key(1), WorkloadHistory.Value(1, 1, 1));
            batch.Begin = fs.Mark("batch 1 issued");
            d.Write(write);
            batch.Ack = fs.Mark("batch 1 acknowledged");
            d.Flush(cf1);
            flushed = fs.Mark("cf1 flushed");
        }
        var trace = new CrashTrace(fs.Operations);
        var oracle = new DurabilityOracle(history);
        var builder = new CrashStateBuilder(trace, db);
        var generator = new CrashStateGenerator(trace, new Random(1));
        foreach (var model in Enum.GetValues<PersistenceModel>())
            foreach (var choice in generator.Choices(flushed + 1, model, 16))
            {
                var state = builder.Build(choice);
                var verdict = oracle.Check(flushed + 1, StateObservation.Open(state.Files));
                Assert.True(verdict.Violations.Count == 0, $"{state.Describe(trace)}: {string.Join("; ", verdict.Violations)}");
            }
    }

    [Fact]
    public void Open_LogWhoseUnsyncedTailLostAPage_OpensWithoutRepairAtThePointBeforeIt()
    {
        // The state the exploration found: a power loss kept a later page of the log's unsynced
        // tail and lost an earlier one. Opening failed with CorruptionException ("damaged before
        // intact records"); now the log ends at the lost page.
        var fs = new MemFileSystem();
        var options = TestDb.MemOptions(fs, o => o.WriteBufferSize = 1 << 20);
        MemFileSystem crashed;
        long synced;
        using (var db = LatticeDb.Open(TestDb.DbPath, options))
        {
            for (int i = 0; i < 10; i++) db.Put(TestDb.B($"s{i:D3}"), TestDb.B("synced"), new WriteOptions { Sync = true });
            string log = TestDb.DbPath + "/" + fs.ListFiles(TestDb.DbPath).Single(n => n.EndsWith(".log", StringComparison.Ordinal));
            synced = fs.GetFileSize(log);
            for (int i = 0; i < 200; i++) db.Put(TestDb.B($"u{i:D3}"), TestDb.B(new string('u', 100)));
            crashed = fs.CrashClone(powerLoss: false);
            var bytes = crashed.GetContents(log);
            long lost = (synced / 4096 + 2) * 4096;
            Assert.True(bytes.Length > lost + 4096, "the unsynced tail spans pages after the lost one");
            Array.Clear(bytes, (int)lost, 4096);
            crashed.SetContents(log, bytes);
        }
        using var reopened = LatticeDb.Open(TestDb.DbPath, new DbOptions { FileSystem = crashed });
        for (int i = 0; i < 10; i++) Assert.Equal("synced", TestDb.S(reopened.Get(TestDb.B($"s{i:D3}"))));
        int kept = Enumerable.Range(0, 200).TakeWhile(i => reopened.Get(TestDb.B($"u{i:D3}")) is not null).Count();
        Assert.InRange(kept, 1, 199);
        Assert.All(Enumerable.Range(kept, 200 - kept), i => Assert.Null(reopened.Get(TestDb.B($"u{i:D3}"))));
    }

    private void Print(ExplorationReport report, int seed)
        => output.WriteLine($"seed {seed}: {report.CrashPoints} crash points, {report.DistinctStates} distinct states "
            + $"({string.Join(", ", report.DistinctByModel.Select(kv => $"{kv.Key} {kv.Value}"))}), {report.NonPrefixStates} beyond prefixes, "
            + $"{report.OutOfOrderStates} out of order, {report.ViolationCount} violations");
}
