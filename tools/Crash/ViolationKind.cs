namespace LatticeKV.Tool.Crash;

/// <summary>
/// What a crash oracle can find wrong. Every violation message names one of these after its
/// cycle number, so a person, a test and <c>lkv torture --self-test</c> can tell them apart.
/// </summary>
public static class ViolationKind
{
    /// <summary>A group lacks an acknowledged write: absent, or holding an older value.</summary>
    public const string LostWrite = "lost acknowledged write";

    /// <summary>A batch applied in part: a group's keys disagree, or only some groups of one batch changed.</summary>
    public const string HalfApplied = "half-applied batch";

    /// <summary>A group deleted by an acknowledged write holds a value it held before the delete.</summary>
    public const string ResurrectedDelete = "resurrected delete";

    /// <summary>A key the workload never wrote where it was found (unknown group, wrong column family, not a workload key).</summary>
    public const string StrayKey = "stray key";

    /// <summary>A group holds the value of an operation that never wrote it, or a newer one than was issued.</summary>
    public const string StrayValue = "stray value";

    /// <summary>A value whose bytes are not what the operation it names wrote.</summary>
    public const string DamagedValue = "damaged value";

    /// <summary>Point reads, the forward scan and the backward scan do not see the same database.</summary>
    public const string ReadPathsDisagree = "read paths disagree";

    /// <summary>A scan returned keys out of order or twice.</summary>
    public const string ScanOrder = "scan out of order";

    /// <summary>The database did not open after the crash.</summary>
    public const string DoesNotOpen = "database does not open";

    /// <summary>The workload itself failed: the child's own check, a write that threw, a child that exited by itself.</summary>
    public const string WorkloadFailed = "workload failed";

    /// <summary>The message for a violation of <paramref name="kind"/> found after crash <paramref name="cycle"/>.</summary>
    public static string Format(int cycle, string kind, string detail) => $"cycle {cycle}: {kind}: {detail}";
}
