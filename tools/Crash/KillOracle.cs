namespace LatticeKV.Tool.Crash;

/// <summary>An operation the kill-mode child announced: a put (or delete) of every member of its groups.</summary>
public sealed record InFlightOp(long Id, bool IsPut, int[] Groups)
{
    /// <summary>The state it leaves in each of its groups.</summary>
    public long Effect => IsPut ? Id : 0;
}

/// <summary>A group whose state after a crash is certain, and the newest put it ever received (for the self-test).</summary>
public sealed record SettledGroup(long State, long LastPut);

/// <summary>
/// The kill-mode oracle and the expected state it keeps. A kill keeps everything acknowledged,
/// so after a kill every group holds its last acknowledged state, or the effect of the one
/// operation in flight on it; an operation in flight is applied to all its groups or to none;
/// and every read path sees exactly that (no stray, resurrected or missing key). Not
/// thread-safe: the harness serialises acknowledgements and checks.
/// </summary>
public sealed class KillOracle
{
    // Group -> 0 absent, else the id of the operation whose values it holds (only groups ever written).
    private readonly Dictionary<int, long> _acked = [];
    // Group -> the newest put acknowledged on it, kept after deletes: tells a resurrected delete from a stray value.
    private readonly Dictionary<int, long> _lastPut = [];

    /// <summary>The expected state: group → 0 (absent) or the id of the operation whose values it holds.</summary>
    public IReadOnlyDictionary<int, long> Expected => _acked;

    /// <summary>Records that <paramref name="op"/> returned: its effect is now what its groups must hold.</summary>
    public void Acknowledge(InFlightOp op)
    {
        foreach (int g in op.Groups)
        {
            _acked[g] = op.Effect;
            if (op.IsPut) _lastPut[g] = op.Id;
        }
    }

    /// <summary>Groups whose state is certain after a crash with <paramref name="pending"/> in flight.</summary>
    public Dictionary<int, SettledGroup> Settled(IReadOnlyList<InFlightOp> pending)
    {
        var inFlight = pending.SelectMany(p => p.Groups).ToHashSet();
        return _acked.Where(kv => !inFlight.Contains(kv.Key))
            .ToDictionary(kv => kv.Key, kv => new SettledGroup(kv.Value, _lastPut.GetValueOrDefault(kv.Key)));
    }

    /// <summary>The groups a verification reads with Get: every group written, and those in flight.</summary>
    public IReadOnlySet<int> Known(IReadOnlyList<InFlightOp> pending) => _acked.Keys.Concat(pending.SelectMany(p => p.Groups)).ToHashSet();

    /// <summary>
    /// Judges what <paramref name="views"/> show after a kill with <paramref name="pending"/> in
    /// flight, changing nothing. Returns the violations, and how many groups showed an
    /// acknowledged put (proof that the check had something to find).
    /// </summary>
    public (IReadOnlyList<string> Violations, int ConfirmedPuts) Check(IReadOnlyList<ReadPathView> views, IReadOnlyList<InFlightOp> pending, int cycle)
    {
        var log = new ViolationLog(cycle);
        var pendingByGroup = new Dictionary<int, InFlightOp>();
        foreach (var op in pending)
            foreach (int g in op.Groups) pendingByGroup[g] = op;
        var resolved = ViewChecks.Resolve(views, Known(pending), log);
        for (int v = 0; v < views.Count; v++)
        {
            foreach (var (g, have) in resolved[v])
            {
                long expected = _acked.GetValueOrDefault(g);
                var p = pendingByGroup.GetValueOrDefault(g);
                if (have == expected || (p is not null && have == p.Effect)) continue;
                long lastPut = Math.Max(_lastPut.GetValueOrDefault(g), p is { IsPut: true } ? p.Id : 0);
                log.Add(ViewChecks.Classify(have, expected, lastPut),
                    $"group {g} holds {have}, acknowledged {expected}" + (p is null ? "" : $", in flight {(p.IsPut ? "put" : "delete")} {p.Id}"), views[v].Name);
            }
            foreach (var op in pending)
            {
                var (applied, informative) = Applied(op, resolved[v]);
                if (applied > 0 && applied < informative)
                    log.Add(ViolationKind.HalfApplied, $"in-flight {(op.IsPut ? "put" : "delete")} {op.Id} applied to {applied} of the {informative} groups it changes", views[v].Name);
            }
        }
        int confirmed = resolved[0].Count(kv => kv.Value != 0 && kv.Value == _acked.GetValueOrDefault(kv.Key));
        return (log.Messages, confirmed);
    }

    /// <summary>
    /// After the check: the in-flight operations that survived whole, as <paramref name="pointReads"/>
    /// show, are as good as acknowledged from here on.
    /// </summary>
    public void AcknowledgeSurvivors(ReadPathView pointReads, IReadOnlyList<InFlightOp> pending)
    {
        foreach (var op in pending)
        {
            var states = op.Groups.Distinct().ToDictionary(g => g, g => pointReads.Members(g) is var m && m.All(x => x == m[0]) ? m[0] : -1);
            var (applied, informative) = Applied(op, states);
            if (applied == informative) Acknowledge(op);
        }
    }

    /// <summary>Of the groups <paramref name="op"/> would change (ignoring those already in its state), how many show its effect.</summary>
    private (int Applied, int Informative) Applied(InFlightOp op, Dictionary<int, long> states)
    {
        var informative = op.Groups.Where(g => _acked.GetValueOrDefault(g) != op.Effect).ToList();
        return (informative.Count(g => states.GetValueOrDefault(g, -1) == op.Effect), informative.Count);
    }
}
