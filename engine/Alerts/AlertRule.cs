namespace LatticeKV;

/// <summary>
/// A threshold the database watches (<see cref="AlertOptions.Rules"/>). Made by the factory
/// methods; adjust with <c>with</c>: <c>AlertRule.StallFraction(0.2) with { ClearThreshold = 0.05, For = TimeSpan.FromMinutes(1) }</c>.
/// </summary>
/// <remarks>
/// An alert fires once per episode: when the value has been past <see cref="Threshold"/> for
/// <see cref="For"/> (at consecutive evaluations); it clears when the value is back past
/// <see cref="ClearThreshold"/> (hysteresis: a value hovering at the threshold does not fire
/// again and again), and may fire again in a later episode. A rule whose value cannot be
/// measured (no reads in the window for a hit ratio, no latency source) neither fires nor clears.
/// </remarks>
public sealed record AlertRule
{
    private AlertRule(string name, AlertCondition condition, double threshold, TimeSpan window, OperationKind? operation = null)
    {
        Name = name;
        Condition = condition;
        Threshold = threshold;
        Window = window;
        Operation = operation;
    }

    /// <summary>The alert's name, unique among the rules (events, <see cref="LatticeDb.GetActiveAlerts"/>).</summary>
    public string Name { get; init; }

    /// <summary>What is watched.</summary>
    public AlertCondition Condition { get; }

    /// <summary>The operation of a <see cref="AlertCondition.LatencyP99"/> rule; null for the others.</summary>
    public OperationKind? Operation { get; }

    /// <summary>The value at which the alert fires, in the condition's unit (<see cref="AlertCondition"/>).</summary>
    public double Threshold { get; init; }

    /// <summary>The value back past which the alert clears; null (default) means <see cref="Threshold"/>.</summary>
    public double? ClearThreshold { get; init; }

    /// <summary>The span a rate or fraction is measured over.</summary>
    public TimeSpan Window { get; init; }

    /// <summary>How long the condition must hold before the alert fires. Default zero: at the first evaluation that sees it.</summary>
    public TimeSpan For { get; init; }

    /// <summary>True when values above the threshold are bad; false for hit ratio and free disk.</summary>
    public bool FiresAbove => Condition is not (AlertCondition.CacheHitRatio or AlertCondition.FreeDiskBytes or AlertCondition.FreeDiskFraction);

    /// <summary>p99 latency of <paramref name="operation"/> above <paramref name="threshold"/> over <paramref name="window"/> (default 5 minutes).</summary>
    public static AlertRule LatencyP99(OperationKind operation, TimeSpan threshold, TimeSpan? window = null)
        => new($"latency-p99-{operation}", AlertCondition.LatencyP99, threshold.TotalSeconds, window ?? TimeSpan.FromMinutes(5), operation);

    /// <summary>Writes stalled for more than <paramref name="fraction"/> of <paramref name="window"/> (default 5 minutes).</summary>
    public static AlertRule StallFraction(double fraction, TimeSpan? window = null)
        => new("stall-fraction", AlertCondition.StallFraction, fraction, window ?? TimeSpan.FromMinutes(5));

    /// <summary>Block cache hit ratio below <paramref name="ratio"/> over <paramref name="window"/> (default 5 minutes).</summary>
    public static AlertRule CacheHitRatioBelow(double ratio, TimeSpan? window = null)
        => new("cache-hit-ratio", AlertCondition.CacheHitRatio, ratio, window ?? TimeSpan.FromMinutes(5));

    /// <summary>Fewer than <paramref name="bytes"/> free on the database's disk.</summary>
    public static AlertRule FreeDiskBelow(long bytes) => new("free-disk-bytes", AlertCondition.FreeDiskBytes, bytes, TimeSpan.Zero);

    /// <summary>Less than <paramref name="fraction"/> of the database's disk free.</summary>
    public static AlertRule FreeDiskFractionBelow(double fraction) => new("free-disk-fraction", AlertCondition.FreeDiskFraction, fraction, TimeSpan.Zero);

    /// <summary>The database growing faster than <paramref name="bytesPerDay"/>.</summary>
    public static AlertRule GrowthRateAbove(long bytesPerDay) => new("growth-rate", AlertCondition.GrowthRate, bytesPerDay, TimeSpan.Zero);

    /// <summary>A background error stops writes; clears when it does not (a full disk that recovered, a reopen).</summary>
    public static AlertRule BackgroundError() => new("background-error", AlertCondition.BackgroundError, 1, TimeSpan.Zero) { ClearThreshold = 0 };

    /// <summary>Any corruption detected over <paramref name="window"/> (default 1 hour); clears after a window without.</summary>
    public static AlertRule Corruption(TimeSpan? window = null)
        => new("corruption", AlertCondition.Corruption, 1, window ?? TimeSpan.FromHours(1)) { ClearThreshold = 0 };

    /// <summary>A sync peer lagging by more than <paramref name="lag"/>.</summary>
    public static AlertRule SyncLagAbove(TimeSpan lag) => new("sync-lag", AlertCondition.SyncLag, lag.TotalSeconds, TimeSpan.Zero);

    /// <summary>Whether <paramref name="value"/> is past the firing threshold.</summary>
    internal bool IsFiring(double value) => FiresAbove ? value >= Threshold : value < Threshold;

    /// <summary>Whether <paramref name="value"/> is back past the clear threshold.</summary>
    internal bool IsClear(double value)
    {
        double clear = ClearThreshold ?? Threshold;
        return FiresAbove ? value <= clear && value < Threshold : value >= clear && value >= Threshold;
    }
}
