namespace LatticeKV.Bench.Runner;

/// <summary>
/// One engine on one workload. <see cref="OpsPerSecond"/> is the burst rate (the clock stops when
/// the last operation returns, as db_bench's); for workloads that write,
/// <see cref="SustainedOpsPerSecond"/> stops it only once the data is flushed and background
/// compaction has brought the tree within its targets. Allocated bytes are the database
/// directory's blocks on disk (st_blocks), with the database open at the end of the workload and
/// after it was closed; <see cref="PeakRssBytes"/> is the process's peak resident set during
/// the workload.
/// </summary>
public sealed record WorkloadResult(
    string Engine,
    string Workload,
    long Operations,
    double Seconds,
    double OpsPerSecond,
    double MegabytesPerSecond,
    double P50Micros,
    double P99Micros,
    double P999Micros,
    double? WriteAmplification,
    double? SpaceAmplification,
    long PeakRssBytes,
    string Note,
    FsyncProbe.Rates? ProbeBefore = null,
    double[]? RoundRates = null,
    double? SustainedOpsPerSecond = null,
    long? AllocatedBytesOpen = null,
    long? AllocatedBytesClosed = null,
    long? LogicalBytes = null,
    double[]? SustainedRoundRates = null);

/// <summary>All results of one engine's run, as the child process reports them.</summary>
public sealed record SuiteResult(string Engine, string Settings, List<WorkloadResult> Results);
