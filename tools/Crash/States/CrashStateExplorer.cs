using System.Diagnostics;

namespace LatticeKV.Tool.Crash.States;

/// <summary>What one exploration of a trace covered and found.</summary>
/// <param name="CrashPoints">Crash points explored (each under every model).</param>
/// <param name="DistinctStates">Distinct crash states (by content) opened and checked.</param>
/// <param name="DistinctByModel">Distinct states each model produced (a state both produce counts for both).</param>
/// <param name="NonPrefixStates">Distinct states in which some file kept a later unsynced write and lost an earlier one.</param>
/// <param name="OutOfOrderStates">Checks that held the promise but matched no prefix of the history.</param>
/// <param name="ViolationCount">Violations found (each state and crash point counted once per broken promise).</param>
/// <param name="Violations">The first violations, each naming the state that shows it.</param>
/// <param name="FailingStates">The first states that showed a violation, for keeping on disk.</param>
internal sealed record ExplorationReport(int CrashPoints, int DistinctStates, IReadOnlyDictionary<PersistenceModel, int> DistinctByModel, int NonPrefixStates,
    int OutOfOrderStates, int ViolationCount, IReadOnlyList<string> Violations, IReadOnlyList<(CrashState State, string Violation)> FailingStates);

/// <summary>
/// Explores the crash states of one recorded trace: picks crash points, generates states for
/// each under each model, builds them, opens each distinct one (once: what it shows is cached by
/// its hash) and checks it against the history at that crash point.
/// </summary>
internal sealed class CrashStateExplorer(CrashTrace trace, WorkloadHistory history, string directory, int seed)
{
    private const int KeptViolations = 20;

    public int CrashPoints { get; init; } = 40;

    public int StatesPerPoint { get; init; } = 12;

    public IReadOnlyList<PersistenceModel> Models { get; init; } = [PersistenceModel.Ext4Ordered, PersistenceModel.AnySubset];

    /// <summary>Stop early (between crash points) once this much time has passed.</summary>
    public TimeSpan? Budget { get; init; }

    public ExplorationReport Run()
    {
        var clock = Stopwatch.StartNew();
        var random = new Random(seed);
        var generator = new CrashStateGenerator(trace, random);
        var builder = new CrashStateBuilder(trace, directory);
        var oracle = new DurabilityOracle(history);
        var observations = new Dictionary<UInt128, StateObservation>();
        var byModel = Models.ToDictionary(m => m, _ => new HashSet<UInt128>());
        var nonPrefix = new HashSet<UInt128>();
        var violations = new List<string>();
        var failing = new List<(CrashState, string)>();
        var kinds = new HashSet<string>(StringComparer.Ordinal);
        int count = 0, outOfOrder = 0, points = 0;
        foreach (int point in generator.CrashPoints(CrashPoints))
        {
            if (Budget is { } b && clock.Elapsed > b) break;
            points++;
            foreach (var model in Models)
            {
                foreach (var choice in generator.Choices(point, model, StatesPerPoint))
                {
                    var state = builder.Build(choice);
                    byModel[model].Add(state.Hash);
                    if (state.NonPrefix) nonPrefix.Add(state.Hash);
                    if (!observations.TryGetValue(state.Hash, out var observed))
                        observations[state.Hash] = observed = StateObservation.Open(state.Files, history.EncryptionKeys);
                    var verdict = oracle.Check(point, observed);
                    if (verdict.OutOfOrder) outOfOrder++;
                    if (verdict.Violations.Count == 0) continue;
                    count += verdict.Violations.Count;
                    // Keep the first few, and the first of every kind (numbers aside), so one frequent failure hides no other.
                    bool newKind = false;
                    foreach (var v in verdict.Violations) newKind |= kinds.Add(System.Text.RegularExpressions.Regex.Replace(v, "[0-9]+", "N"));
                    if (failing.Count >= KeptViolations && !newKind) continue;
                    failing.Add((state, verdict.Violations[0]));
                    foreach (var v in verdict.Violations.Take(3)) violations.Add($"{state.Describe(trace)}: {v}");
                }
            }
        }
        return new ExplorationReport(points, observations.Count, byModel.ToDictionary(kv => kv.Key, kv => kv.Value.Count), nonPrefix.Count, outOfOrder, count, violations, failing);
    }
}
