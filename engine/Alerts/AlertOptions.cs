namespace LatticeKV;

/// <summary>
/// Alerts (<see cref="DbOptions.Alerts"/>): rules the database evaluates on a timer of
/// <see cref="DbOptions.Clock"/>. An alert that fires or clears is raised as an event
/// (<see cref="AlertFiredEvent"/>, <see cref="AlertClearedEvent"/>: to listeners, to the event file
/// and as an <see cref="DbOptions.Logger"/> warning) and listed by <see cref="LatticeDb.GetActiveAlerts"/>.
/// </summary>
/// <example>
/// <code>
/// options.Alerts = new AlertOptions
/// {
///     EvaluationInterval = TimeSpan.FromSeconds(30),
///     Rules =
///     {
///         AlertRule.LatencyP99(OperationKind.Get, TimeSpan.FromMilliseconds(20)),
///         AlertRule.StallFraction(0.10) with { ClearThreshold = 0.02 },
///         AlertRule.FreeDiskFractionBelow(0.10),
///         AlertRule.BackgroundError(),
///     },
/// };
/// </code>
/// </example>
public sealed class AlertOptions
{
    /// <summary>How often the rules are evaluated. Default 10 seconds.</summary>
    public TimeSpan EvaluationInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The rules; names must be unique.</summary>
    public IList<AlertRule> Rules { get; } = new List<AlertRule>();

    internal void Validate()
    {
        if (EvaluationInterval <= TimeSpan.Zero) throw new InvalidArgumentException("Alerts.EvaluationInterval must be positive.", nameof(EvaluationInterval));
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var rule in Rules)
        {
            if (rule is null) throw new InvalidArgumentException("Alerts.Rules must not hold null.", nameof(Rules));
            if (string.IsNullOrWhiteSpace(rule.Name)) throw new InvalidArgumentException("An alert rule needs a name.", nameof(Rules));
            if (!names.Add(rule.Name)) throw new InvalidArgumentException($"Two alert rules are named '{rule.Name}': give one another Name.", nameof(Rules));
            if (!double.IsFinite(rule.Threshold) || rule.ClearThreshold is { } c && !double.IsFinite(c))
                throw new InvalidArgumentException($"Alert rule '{rule.Name}' needs finite thresholds.", nameof(Rules));
            if (rule.Window < TimeSpan.Zero || rule.For < TimeSpan.Zero)
                throw new InvalidArgumentException($"Alert rule '{rule.Name}' has a negative window or duration.", nameof(Rules));
            if (rule.Condition == AlertCondition.LatencyP99 && (rule.Window <= TimeSpan.Zero || rule.Window > Metrics.LatencyWindow.MaxWindow))
                throw new InvalidArgumentException($"Alert rule '{rule.Name}': a latency window must be positive and at most {Metrics.LatencyWindow.MaxWindow} (the latencies kept).", nameof(Rules));
            double clear = rule.ClearThreshold ?? rule.Threshold;
            if (rule.FiresAbove ? clear > rule.Threshold : clear < rule.Threshold)
                throw new InvalidArgumentException($"Alert rule '{rule.Name}': ClearThreshold must lie on the healthy side of Threshold.", nameof(Rules));
        }
    }
}
