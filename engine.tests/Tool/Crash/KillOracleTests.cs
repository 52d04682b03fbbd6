using LatticeKV.Tool.Crash;
using static LatticeKV.Tests.Tool.Crash.OracleViews;

namespace LatticeKV.Tests.Tool.Crash;

/// <summary>The kill-mode oracle, fed views with known violations: each must be named, and what is allowed must pass.</summary>
public class KillOracleTests
{
    // Groups 0..3 in three column families; 0 and 1 hold puts 10 and 11, 2 was put (12) then deleted (13).
    private static KillOracle Acknowledged()
    {
        var oracle = new KillOracle();
        oracle.Acknowledge(new InFlightOp(10, true, [0]));
        oracle.Acknowledge(new InFlightOp(11, true, [1]));
        oracle.Acknowledge(new InFlightOp(12, true, [2]));
        oracle.Acknowledge(new InFlightOp(13, false, [2]));
        return oracle;
    }

    private static readonly Dictionary<int, long> s_expected = new() { [0] = 10, [1] = 11 };

    [Fact]
    public void Check_DatabaseAsAcknowledged_NoViolationAndPutsConfirmed()
    {
        var oracle = Acknowledged();
        var (violations, confirmed) = oracle.Check(Of([0, 1, 2], s_expected), [], cycle: 1);
        Assert.Empty(violations);
        Assert.Equal(2, confirmed);
    }

    [Fact]
    public void Check_AcknowledgedPutGone_ReportsLostWriteOnEveryPath()
    {
        var (violations, _) = Acknowledged().Check(Of([0, 1, 2], new Dictionary<int, long> { [0] = 10 }), [], cycle: 4);
        var lost = Assert.Single(OfKind(violations, ViolationKind.LostWrite));
        Assert.StartsWith("cycle 4: lost acknowledged write: group 1 holds 0, acknowledged 11", lost, StringComparison.Ordinal);
        Assert.Contains("Get, forward scan, backward scan", lost, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_AcknowledgedPutRolledBack_ReportsLostWrite()
    {
        var oracle = Acknowledged();
        oracle.Acknowledge(new InFlightOp(20, true, [0]));
        var (violations, _) = oracle.Check(Of([0, 1, 2], s_expected), [], cycle: 1);
        Assert.Contains("group 0 holds 10, acknowledged 20", Assert.Single(OfKind(violations, ViolationKind.LostWrite)), StringComparison.Ordinal);
    }

    [Fact]
    public void Check_HalfTheKeysOfAGroupRolledBack_ReportsHalfApplied()
    {
        var views = Of([0, 1, 2], s_expected, v => v.Groups[0][1] = 0);
        var (violations, _) = Acknowledged().Check(views, [], cycle: 1);
        Assert.Contains("group 0's keys disagree: [10, 0, 10, 10]", Assert.Single(OfKind(violations, ViolationKind.HalfApplied)), StringComparison.Ordinal);
    }

    [Fact]
    public void Check_InFlightBatchAcrossColumnFamiliesOnOneGroupOnly_ReportsHalfApplied()
    {
        var inFlight = new InFlightOp(30, true, [0, 1]); // groups 0 and 1 live in column families 0 and 1
        var (violations, _) = Acknowledged().Check(Of([0, 1, 2], new Dictionary<int, long> { [0] = 30, [1] = 11 }), [inFlight], cycle: 1);
        Assert.Contains("in-flight put 30 applied to 1 of the 2 groups", Assert.Single(OfKind(violations, ViolationKind.HalfApplied)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Check_InFlightBatchWholeOrAbsent_IsAllowedAndSurvivorCountsAsAcknowledged(bool survived)
    {
        var oracle = Acknowledged();
        var inFlight = new InFlightOp(30, true, [0, 1]);
        var views = Of([0, 1, 2], survived ? new Dictionary<int, long> { [0] = 30, [1] = 30 } : s_expected);
        Assert.Empty(oracle.Check(views, [inFlight], cycle: 1).Violations);
        Assert.Equal(10, oracle.Expected[0]); // the check changes nothing
        oracle.AcknowledgeSurvivors(views[0], [inFlight]);
        Assert.Equal(survived ? 30 : 10, oracle.Expected[0]);
        // From now on the surviving batch must stay: losing it is a lost write.
        var (later, _) = oracle.Check(Of([0, 1, 2], s_expected), [], cycle: 2);
        Assert.Equal(survived, OfKind(later, ViolationKind.LostWrite).Count == 2);
    }

    [Fact]
    public void Check_DeletedGroupHoldsItsOldValue_ReportsResurrectedDelete()
    {
        var (violations, _) = Acknowledged().Check(Of([0, 1, 2], new Dictionary<int, long>(s_expected) { [2] = 12 }), [], cycle: 1);
        Assert.Contains("group 2 holds 12, acknowledged 0", Assert.Single(OfKind(violations, ViolationKind.ResurrectedDelete)), StringComparison.Ordinal);
    }

    [Fact]
    public void Check_GroupHoldsAValueNobodyWroteThere_ReportsStrayValue()
    {
        var (violations, _) = Acknowledged().Check(Of([0, 1, 2], new Dictionary<int, long>(s_expected) { [2] = 99 }), [], cycle: 1);
        Assert.Single(OfKind(violations, ViolationKind.StrayValue));
    }

    [Fact]
    public void Check_KeyOfAGroupNeverWritten_ReportsStrayKeyFromTheScansAlone()
    {
        // Point reads never ask for group 7: only the scans can find it.
        var (violations, _) = Acknowledged().Check(Of([0, 1, 2], new Dictionary<int, long>(s_expected) { [7] = 5 }), [], cycle: 1);
        var stray = Assert.Single(OfKind(violations, ViolationKind.StrayKey));
        Assert.Contains("group 7, never written", stray, StringComparison.Ordinal);
        Assert.Contains("forward scan, backward scan", stray, StringComparison.Ordinal);
        Assert.Empty(OfKind(violations, ViolationKind.ReadPathsDisagree));
    }

    [Fact]
    public void Check_ScanMissesAGroupPointReadsSee_ReportsLostWriteOnThatScanAndDisagreement()
    {
        var views = Of([0, 1, 2], s_expected, v => { if (v.Name == "backward scan") v.Groups.Remove(1); });
        var (violations, _) = Acknowledged().Check(views, [], cycle: 1);
        Assert.EndsWith("(seen by backward scan)", Assert.Single(OfKind(violations, ViolationKind.LostWrite)), StringComparison.Ordinal);
        Assert.Contains("group 1: Get sees [11, 11, 11, 11]", Assert.Single(OfKind(violations, ViolationKind.ReadPathsDisagree)), StringComparison.Ordinal);
    }

    [Fact]
    public void Check_ForeignKeyOrDamagedValue_Reported()
    {
        var views = Of([0, 1, 2], s_expected, v =>
        {
            if (v.Complete) v.StrayKeys.Add("'zzz' in default is not a workload key");
            v.Record(1, 2, "000000000011:garbage"u8);
        });
        var (violations, _) = Acknowledged().Check(views, [], cycle: 1);
        Assert.Contains("'zzz'", Assert.Single(OfKind(violations, ViolationKind.StrayKey)), StringComparison.Ordinal);
        Assert.Contains("group 1 member 2", Assert.Single(OfKind(violations, ViolationKind.DamagedValue)), StringComparison.Ordinal);
    }
}
