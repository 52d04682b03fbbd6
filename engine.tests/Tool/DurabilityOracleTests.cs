using LatticeKV.Tool.Crash.States;

namespace LatticeKV.Tests.Tool;

/// <summary>The crash-state oracle, fed states that break each promise, and states that keep it.</summary>
public class DurabilityOracleTests
{
    private const int AfterAll = 100;

    /// <summary>
    /// Batch 1 puts default/k001 and cf1/k001; batch 2 (synced) puts default/k002; batch 3 puts
    /// default/k001 and cf2/k005; batch 4 deletes default/k002 and puts cf1/k003. Each batch is
    /// issued at trace position 2(id-1) and acknowledged at 2(id-1)+1; cf1 and cf2 are created before.
    /// </summary>
    private static WorkloadHistory History()
    {
        var h = new WorkloadHistory();
        h.ColumnFamilyCreated[1] = 0;
        h.ColumnFamilyCreated[2] = 0;
        BatchOp[][] ops =
        [
            [new(BatchOpKind.Put, 0, 1), new(BatchOpKind.Put, 1, 1)],
            [new(BatchOpKind.Put, 0, 2)],
            [new(BatchOpKind.Put, 0, 1), new(BatchOpKind.Put, 2, 5)],
            [new(BatchOpKind.Delete, 0, 2), new(BatchOpKind.Put, 1, 3)],
        ];
        for (int i = 0; i < ops.Length; i++)
            h.Batches.Add(new WorkloadBatch(i + 1, ops[i], Sync: i == 1) { Begin = 2 * i + 1, Ack = 2 * i + 2 });
        return h;
    }

    private static OracleVerdict Check(params ((int Cf, int Key) Key, int Batch)[] values)
        => new DurabilityOracle(History()).Check(AfterAll, new StateObservation(null, values.ToDictionary(v => v.Key, v => v.Batch), new HashSet<int> { 0, 1, 2 }, []));

    [Fact]
    public void Check_StateAfterSomeBatchAtOrPastTheSyncedOne_Holds()
    {
        foreach (var verdict in new[]
        {
            Check(((0, 1), 1), ((1, 1), 1), ((0, 2), 2)),
            Check(((0, 1), 3), ((1, 1), 1), ((0, 2), 2), ((2, 5), 3)),
            Check(((0, 1), 3), ((1, 1), 1), ((2, 5), 3), ((1, 3), 4)),
        })
        {
            Assert.Empty(verdict.Violations);
            Assert.False(verdict.OutOfOrder);
        }
    }

    [Fact]
    public void Check_SyncedWriteLost_IsAViolation()
    {
        var verdict = Check(((0, 1), 1), ((1, 1), 1));
        Assert.Contains(verdict.Violations, v => v.Contains("default/k002", StringComparison.Ordinal) && v.Contains("synced write", StringComparison.Ordinal));
    }

    [Fact]
    public void Check_WriteAcknowledgedBeforeTheSyncedOneLost_IsAViolation()
    {
        var verdict = Check(((0, 1), 1), ((0, 2), 2));
        Assert.Contains(verdict.Violations, v => v.Contains("cf1/k001", StringComparison.Ordinal) && v.Contains("synced write", StringComparison.Ordinal));
    }

    [Fact]
    public void Check_BatchVisibleInOneColumnFamilyOnly_IsHalfApplied()
    {
        var verdict = Check(((0, 1), 3), ((1, 1), 1), ((0, 2), 2));
        Assert.Contains(verdict.Violations, v => v.Contains("batch 3 is half-applied", StringComparison.Ordinal) && v.Contains("cf2/k005", StringComparison.Ordinal));
    }

    [Fact]
    public void Check_DeleteOfAVisibleBatchMissing_IsHalfApplied()
    {
        // Batch 4's put is there, its delete is not: default/k002 is resurrected.
        var verdict = Check(((0, 1), 3), ((1, 1), 1), ((0, 2), 2), ((2, 5), 3), ((1, 3), 4));
        Assert.Contains(verdict.Violations, v => v.Contains("batch 4 is half-applied", StringComparison.Ordinal) && v.Contains("default/k002", StringComparison.Ordinal));
    }

    [Fact]
    public void Check_ValueNoBatchWroteThere_IsAStray()
    {
        var verdict = Check(((0, 1), 1), ((1, 1), 1), ((0, 2), 2), ((0, 7), 3));
        Assert.Contains(verdict.Violations, v => v.Contains("default/k007", StringComparison.Ordinal) && v.Contains("never wrote it", StringComparison.Ordinal));
    }

    [Fact]
    public void Check_ValueOfABatchNotYetIssued_IsAStray()
    {
        var h = History();
        var observed = new StateObservation(null, new Dictionary<(int, int), int> { [(0, 1)] = 3, [(1, 1)] = 1, [(0, 2)] = 2, [(2, 5)] = 3 }, new HashSet<int> { 0, 1, 2 }, []);
        var verdict = new DurabilityOracle(h).Check(h.Batches[2].Begin, observed); // the crash came just before batch 3 was issued
        Assert.Contains(verdict.Violations, v => v.Contains("not yet issued", StringComparison.Ordinal));
    }

    [Fact]
    public void Check_OpenFailedOrColumnFamilyLost_IsAViolation()
    {
        var oracle = new DurabilityOracle(History());
        var failed = new StateObservation("the database does not open without repair: boom", new Dictionary<(int, int), int>(), new HashSet<int>(), []);
        Assert.Equal(["the database does not open without repair: boom"], oracle.Check(AfterAll, failed).Violations);
        var noCf2 = new StateObservation(null, new Dictionary<(int, int), int> { [(0, 1)] = 1, [(1, 1)] = 1, [(0, 2)] = 2 }, new HashSet<int> { 0, 1 }, []);
        Assert.Contains(oracle.Check(AfterAll, noCf2).Violations, v => v.Contains("column family cf2", StringComparison.Ordinal));
    }

    [Fact]
    public void Check_UnsyncedBatchLostWhileALaterOneSurvived_IsAViolation()
    {
        // Batch 3 lost, batch 4 kept: no synced write lost and no batch half-applied, but no prefix
        // of the history: recovery did not keep one point in time.
        var verdict = Check(((0, 1), 1), ((1, 1), 1), ((1, 3), 4));
        Assert.Contains(verdict.Violations, v => v.Contains("no prefix of the history", StringComparison.Ordinal));
        Assert.True(verdict.OutOfOrder);
    }
}
