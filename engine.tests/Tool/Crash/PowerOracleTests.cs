using LatticeKV.Tool.Crash;
using static LatticeKV.Tests.Tool.Crash.OracleViews;

namespace LatticeKV.Tests.Tool.Crash;

/// <summary>
/// The power-mode oracle, fed views with known violations. One writer owns groups 0..5 (three
/// column families: group g lives in g mod 3); before the cycle group 0 held 5 and group 2 held 6.
/// </summary>
public class PowerOracleTests
{
    private static readonly Dictionary<int, long> s_baseline = new() { [0] = 5, [2] = 6 };
    private static readonly Dictionary<int, long> s_lastPut = new() { [0] = 5, [2] = 6 };

    private static PowerOp Op(long id, params (int Group, long Effect)[] effects) => new(id, effects.ToDictionary(e => e.Group, e => e.Effect));

    // Batch 10 puts groups 1 and 2 (column families 1 and 2); batch 11 is a range delete of
    // column family 0 over groups 0..5 (groups 0 and 3) together with a put of group 4.
    private static readonly PowerOp[] s_ops = [Op(10, (1, 10), (2, 10)), Op(11, (0, 0), (3, 0), (4, 11))];

    private static IReadOnlyList<string> Check(int durable, Dictionary<int, long> states, PowerOp[]? ops = null)
        => PowerOracle.Check(Of(Enumerable.Range(0, 6), states), s_baseline, s_lastPut, [new WorkerHistory(0, 6, ops ?? s_ops, durable)], cycle: 2);

    [Theory]
    [InlineData(0, 0)]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(1, 2)]
    [InlineData(2, 2)]
    public void Check_StateOfAPrefixNoShorterThanTheDurableOne_NoViolation(int durable, int survived)
    {
        var states = new Dictionary<int, long>(s_baseline);
        foreach (var op in s_ops.Take(survived))
            foreach (var (g, effect) in op.Effects) states[g] = effect;
        Assert.Empty(Check(durable, states));
    }

    [Fact]
    public void Check_DurableBatchGone_ReportsLostWrite()
    {
        var violations = Check(durable: 1, new Dictionary<int, long>(s_baseline));
        Assert.Equal(2, OfKind(violations, ViolationKind.LostWrite).Count); // group 1 absent, group 2 back at 6
        Assert.Contains("group 1 holds 0", violations[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Check_BatchAcrossColumnFamiliesOnOneGroupOnly_ReportsHalfApplied()
    {
        var violations = Check(durable: 0, new Dictionary<int, long>(s_baseline) { [1] = 10 });
        Assert.Contains("group ", Assert.Single(OfKind(violations, ViolationKind.HalfApplied)), StringComparison.Ordinal);
        Assert.Empty(OfKind(violations, ViolationKind.LostWrite));
    }

    [Fact]
    public void Check_RangeDeleteBatchAppliedToPartOfItsGroups_ReportsHalfApplied()
    {
        // Batch 11 put group 4, but its range delete left group 0 holding 5.
        var violations = Check(durable: 1, new Dictionary<int, long> { [1] = 10, [2] = 10, [0] = 5, [4] = 11 });
        Assert.Contains("group 0 holds 5", Assert.Single(violations), StringComparison.Ordinal);
        Assert.Single(OfKind(violations, ViolationKind.HalfApplied));
    }

    [Fact]
    public void Check_LaterBatchSurvivesAnEarlierOneLost_ReportsHalfApplied()
    {
        // Batch 11 without batch 10: not a prefix of the writer's batches.
        var violations = Check(durable: 0, new Dictionary<int, long> { [2] = 6, [4] = 11 });
        Assert.NotEmpty(OfKind(violations, ViolationKind.HalfApplied));
    }

    [Fact]
    public void Check_DurablyDeletedGroupHoldsItsOldValue_ReportsResurrectedDelete()
    {
        var states = new Dictionary<int, long> { [1] = 10, [2] = 10, [0] = 5, [4] = 11 };
        var violations = Check(durable: 2, states);
        Assert.Contains("group 0 holds 5", Assert.Single(OfKind(violations, ViolationKind.ResurrectedDelete)), StringComparison.Ordinal);
    }

    [Fact]
    public void Check_KeyOutsideEveryWritersGroups_ReportsStrayKey()
    {
        var states = new Dictionary<int, long>(s_baseline) { [40] = 3 };
        var violations = Check(durable: 0, states);
        Assert.Contains("group 40, never written", Assert.Single(OfKind(violations, ViolationKind.StrayKey)), StringComparison.Ordinal);
    }

    [Fact]
    public void Settled_GroupsABatchAfterTheDurableOnesTouches_AreLeftOut()
    {
        var settled = PowerOracle.Settled(s_baseline, s_lastPut, [new WorkerHistory(0, 6, s_ops, 1)]);
        Assert.Equal([1, 2, 5], settled.Keys.Order());
        Assert.Equal(new SettledGroup(10, 10), settled[2]);
        Assert.Equal(new SettledGroup(0, 0), settled[5]);
    }
}
