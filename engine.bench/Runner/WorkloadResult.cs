namespace LatticeKV.Bench.Runner;

/// <summary>One engine on one workload.</summary>
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
    double[]? RoundRates = null);

/// <summary>All results of one engine's run, as the child process reports them.</summary>
public sealed record SuiteResult(string Engine, string Settings, List<WorkloadResult> Results);
