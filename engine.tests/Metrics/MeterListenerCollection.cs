namespace LatticeKV.Tests.Metrics;

/// <summary>
/// Tests that attach a <see cref="System.Diagnostics.Metrics.MeterListener"/> to the process-wide
/// <c>LatticeKV</c> meter run one at a time: a listener's callbacks run on the thread that
/// records, so one test's listener would count (and allocate) on another test's operations.
/// </summary>
[CollectionDefinition(Name)]
public sealed class MeterListenerCollection
{
    public const string Name = "LatticeKV meter listeners";
}
