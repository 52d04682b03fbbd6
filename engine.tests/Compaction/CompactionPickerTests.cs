using System.Globalization;
using LatticeKV.Compaction;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Compaction;

/// <summary>
/// The picker's scores, choice and pending-bytes estimate, case by case from the table below,
/// on trees written in <see cref="LevelFixture"/>'s notation. Four levels; level 0 triggers at
/// four files; level 1 targets 1,000 bytes and each level below ten times more; level 3, the
/// last, has no score. <c>scores</c> lists levels 0–2, <c>pick</c> reads
/// "L1 [inputs] -> L2 [overlapping inputs]" or "none".
/// </summary>
public class CompactionPickerTests
{
    private static readonly CaseTable Table = new("""
        case an empty tree needs nothing
        tree:
        scores:  0 0 0
        pick:    none
        pending: 0

        case level 0 below its trigger
        tree:    L0: a-c b-d c-e
        scores:  0.75 0 0
        pick:    none
        pending: 0

        case level 0 at its trigger: scored by file count, every file moves down with the level-1 files its range overlaps
        tree:    L0: a-c b-d c-e m-n; L1: a-b/300 f-g/300 x-y/300
        scores:  1 0.9 0
        pick:    L0 [1 2 3 4] -> L1 [5 6]
        pending: 1300

        case level 0 at its trigger and over the level-1 target: scored by bytes
        tree:    L0: a-b/600 a-b/600 a-b/600 a-b/600
        scores:  2.4 0 0
        pick:    L0 [1 2 3 4] -> L1 []
        pending: 2400

        case level 0: files being compacted do not count toward the trigger
        tree:    L0: a-b* a-b* a-b a-b a-b
        scores:  0.75 0 0
        pick:    none
        pending: 500

        case level 0: a running level-0 compaction blocks another
        tree:    L0: a-b* a-b a-b a-b a-b
        scores:  1 0 0
        pick:    none
        pending: 500

        case level n: scored by bytes against its target, the file with the least overlap below relative to its size goes
        tree:    L1: a-b/400 c-d/400 e-f/400; L2: a-b/4000 c-d/40 e-f/400
        scores:  0 1.2 0.444
        pick:    L1 [2] -> L2 [5]
        pending: 2200

        case level n: a file being compacted does not count and is not chosen, nor one whose overlap below is busy
        tree:    L1: a-b/600 c-d/600* e-f/600; L2: a-b/4000 c-d/40 e-f/400*
        scores:  0 1.2 0.404
        pick:    L1 [1] -> L2 [4]
        pending: 8800

        case several levels over target: the highest score goes first
        tree:    L0: a-b a-b a-b a-b a-b; L1: c-d/1500; L2: e-f/20000
        scores:  1.25 1.5 2
        pick:    L2 [7] -> L3 []
        pending: 117500

        case several levels over target: when the most urgent cannot start, the next one does
        tree:    L1: c-d/1500; L2: a-b/20000; L3: a-b/10*
        scores:  0 1.5 2
        pick:    L1 [1] -> L2 []
        pending: 115500

        case the last level has no score and is never compacted by size
        tree:    L3: a-b/1000000
        scores:  0 0 0
        pick:    none
        pending: 0

        case tombstones weigh: a file of deletions scores its level higher and goes first (each counts twice the tree's average value, 10 bytes)
        tree:    L1: a-b/500 c-d/500+50; L2: a-b c-d
        scores:  0 2 0.02
        pick:    L1 [2] -> L2 [4]
        pending: 0

        case tombstones weigh in level 0 too: below the file-count trigger, a file of deletions scores by what it deletes
        tree:    L0: a-b/100+50; L1: c-d/100
        scores:  1.1 0.1 0
        pick:    L0 [1] -> L1 []
        pending: 0
        """);

    /// <summary>The options of the table's trees (also the idle drain's, in <see cref="IdleCompactionTests"/>).</summary>
    internal static readonly LsmOptions Options = new(
        NumLevels: 4,
        Level0FileNumCompactionTrigger: 4,
        Level0SlowdownWritesTrigger: 8,
        Level0StopWritesTrigger: 12,
        MaxBytesForLevelBase: 1000,
        MaxBytesForLevelMultiplier: 10,
        TargetFileSizeBase: 100,
        MaxCompactionBytes: 100_000,
        SoftPendingCompactionBytesLimit: long.MaxValue,
        HardPendingCompactionBytesLimit: long.MaxValue);

    public static TheoryData<string> CaseNames() => Table.Names();

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Scores_Case_MatchTheTable(string name)
    {
        var v = LevelFixture.Version(Table.Field(name, "tree"), Options.NumLevels);
        var scores = new CompactionPicker(Options).Scores(v).Select(s => s.ToString("0.###", CultureInfo.InvariantCulture));
        Assert.Equal(Table.Field(name, "scores"), string.Join(' ', scores));
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Pick_Case_ChoosesWhatTheTableSaysAndMarksIt(string name)
    {
        var v = LevelFixture.Version(Table.Field(name, "tree"), Options.NumLevels);
        var busyBefore = v.AllFiles.Where(f => f.BeingCompacted).Select(f => f.Number).ToHashSet();
        var plan = new CompactionPicker(Options).Pick(7, v);
        Assert.Equal(Table.Field(name, "pick"), Describe(plan));
        var expectedBusy = busyBefore.Concat(plan?.AllInputs.Select(f => f.Number) ?? []).Order();
        Assert.Equal(expectedBusy, v.AllFiles.Where(f => f.BeingCompacted).Select(f => f.Number).Order());
        if (plan is not null) Assert.Equal(7u, plan.ColumnFamilyId);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void EstimatePendingBytes_Case_MatchesTheTable(string name)
    {
        var v = LevelFixture.Version(Table.Field(name, "tree"), Options.NumLevels);
        var picker = new CompactionPicker(Options);
        long expected = long.Parse(Table.Field(name, "pending"), CultureInfo.InvariantCulture);
        Assert.Equal(expected, picker.EstimatePendingBytes(v));
        Assert.Equal(expected, picker.PendingBytes(v));
        Assert.Equal(expected, v.CachedPendingCompactionBytes);
    }

    [Theory]
    [InlineData(1000, 10, 1, 1000)]
    [InlineData(1000, 10, 2, 10_000)]
    [InlineData(1000, 10, 4, 1_000_000)]
    [InlineData(1000, 2.5, 3, 6250)]
    [InlineData(1L << 40, 1000, 6, 1L << 62)]
    public void MaxBytesForLevel_BaseTimesMultiplier_GrowsPerLevelAndSaturates(long levelBase, double multiplier, int level, long expected)
    {
        var options = Options with { MaxBytesForLevelBase = levelBase, MaxBytesForLevelMultiplier = multiplier };
        Assert.Equal(expected, options.MaxBytesForLevel(level));
    }

    [Fact]
    public void PendingBytes_SecondCall_ReturnsTheCachedEstimate()
    {
        var v = LevelFixture.Version("L1: a-b/1500", Options.NumLevels);
        var picker = new CompactionPicker(Options);
        Assert.Equal(5500, picker.PendingBytes(v));
        v.CachedPendingCompactionBytes = 42; // a version never changes, so the cache is trusted
        Assert.Equal(42, picker.PendingBytes(v));
        Assert.Equal(5500, picker.EstimatePendingBytes(v));
    }

    private static string Describe(CompactionPlan? plan)
        => plan is null ? "none"
            : $"L{plan.Level} [{string.Join(' ', plan.Inputs.Select(f => f.Number))}] -> L{plan.OutputLevel} [{string.Join(' ', plan.OutputLevelInputs.Select(f => f.Number))}]";
}
