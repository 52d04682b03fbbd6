namespace LatticeKV.Tool.Crash.States;

/// <summary>What the oracle concluded about one state at one crash point.</summary>
/// <param name="Violations">Broken promises (README, "The durability promise"), each a sentence.</param>
/// <param name="OutOfOrder">The promise held, but the state is no prefix of the history: some unsynced
/// batch was lost while a later one survived.</param>
internal sealed record OracleVerdict(IReadOnlyList<string> Violations, bool OutOfOrder);

/// <summary>
/// Checks an opened crash state against the workload's history at a crash point. With S the
/// last batch acknowledged with Sync = true before the crash point and I the last batch issued
/// before it (one writer: batch ids are log order), the promise holds when the state is what
/// applying, in order, batches 1..S and some subset of S+1..I, each whole, gives: then every
/// synced write and everything acknowledged before it is there, no batch is half-applied (across
/// column families), and nothing issued later or never written appears. Every column family
/// whose creation returned must exist too. Recovery also keeps one point in time: a state that
/// is no prefix 1..j of the history (an unsynced batch lost while a later one survived) is a
/// violation too, reported as out of order.
/// </summary>
internal sealed class DurabilityOracle(WorkloadHistory history)
{
    public OracleVerdict Check(int point, StateObservation observed)
    {
        if (observed.Error is not null) return new([observed.Error], false);
        var violations = new List<string>(observed.Strays);
        foreach (var (cf, created) in history.ColumnFamilyCreated)
            if (created < point && !observed.ColumnFamilies.Contains(cf))
                violations.Add($"column family {WorkloadHistory.ColumnFamilyName(cf)} was created before the crash but is missing");

        int synced = history.Batches.Where(b => b.Sync && b.Ack >= 0 && b.Ack < point).Select(b => b.Id).DefaultIfEmpty(0).Max();
        int issued = history.Batches.Where(b => b.Begin >= 0 && b.Begin < point).Select(b => b.Id).DefaultIfEmpty(0).Max();
        var seen = observed.Values;
        var required = new Dictionary<(int Cf, int Key), int>();
        foreach (var b in history.Batches.TakeWhile(b => b.Id <= synced)) WorkloadHistory.Apply(b, required);
        bool prefix = IsPrefix(required, synced, issued, seen);

        // The largest subset that explains the state, found from the newest batch down: a batch can
        // be in it when every key it wrote that no newer chosen batch overwrote shows its effect, and
        // choosing it only ever removes constraints on older batches, so taking every one that can
        // be taken finds a subset whenever one exists.
        var settled = new HashSet<(int Cf, int Key)>();
        var contradicted = new Dictionary<int, (int Cf, int Key)>(); // a batch left out: a key that shows something else
        foreach (var b in history.Batches.Where(b => b.Id > synced && b.Id <= issued).Reverse())
        {
            var effects = Effects(b);
            var wrong = effects.Where(e => !settled.Contains(e.Key) && seen.GetValueOrDefault(e.Key) != e.Value).Select(e => e.Key).ToList();
            if (wrong.Count == 0) settled.UnionWith(effects.Keys);
            else contradicted[b.Id] = wrong[0];
        }
        var unexplained = seen.Keys.Concat(required.Keys).Distinct()
            .Where(k => !settled.Contains(k) && seen.GetValueOrDefault(k) != required.GetValueOrDefault(k)).Order().ToList();
        foreach (var key in unexplained) violations.Add(Explain(key, seen.GetValueOrDefault(key), required.GetValueOrDefault(key), synced, issued, contradicted));
        // Recovery keeps one point in time (README): an unsynced batch lost while a later one survived breaks it.
        bool outOfOrder = violations.Count == 0 && !prefix;
        if (outOfOrder)
            violations.Add($"the state is no prefix of the history: an unsynced batch after batch {synced} was lost while a later one survived (recovery must keep one point in time)");
        return new(violations, outOfOrder);
    }

    private string Explain((int Cf, int Key) key, int holds, int required, int synced, int issued, Dictionary<int, (int Cf, int Key)> contradicted)
    {
        if (holds > issued)
            return $"{Name(key)} holds a value of batch {holds}, which was not yet issued at the crash";
        if (holds > 0 && !history.Batches[holds - 1].Ops.Any(o => o.Kind == BatchOpKind.Put && (o.ColumnFamily, o.Key) == key))
            return $"{Name(key)} holds a value of batch {holds}, which never wrote it";
        // A batch left out that would have left exactly this here: it shows on this key but not on another.
        foreach (var (batch, other) in contradicted.OrderByDescending(c => c.Key))
            if (Effects(history.Batches[batch - 1]).TryGetValue(key, out int effect) && effect == holds)
                return holds == 0
                    ? $"{Name(key)} holds nothing, though after batch {synced}, acknowledged synced, it held {Describe(required)}: a synced write was lost, or batch {batch}, which deleted it, is half-applied ({Name(other)}, which it wrote, holds something else)"
                    : $"batch {batch} is half-applied: {Name(key)} holds its value, but {Name(other)}, which it wrote, holds something else";
        return $"{Name(key)} holds {Describe(holds)}, but after batch {synced}, acknowledged synced, it held {Describe(required)} and no later batch explains the change: a synced write (or one acknowledged before it) was lost, or a batch half-applied";
    }

    /// <summary>Whether the state is exactly what batches 1..j give, for some j from <paramref name="synced"/> to <paramref name="issued"/>.</summary>
    private bool IsPrefix(Dictionary<(int Cf, int Key), int> required, int synced, int issued, IReadOnlyDictionary<(int Cf, int Key), int> seen)
    {
        var model = new Dictionary<(int Cf, int Key), int>(required);
        int mismatches = model.Keys.Concat(seen.Keys).Distinct().Count(k => model.GetValueOrDefault(k) != seen.GetValueOrDefault(k));
        for (int id = synced + 1; mismatches > 0 && id <= issued; id++)
        {
            foreach (var (key, value) in Effects(history.Batches[id - 1]))
            {
                int before = model.GetValueOrDefault(key), holds = seen.GetValueOrDefault(key);
                if (value == 0) model.Remove(key);
                else model[key] = value;
                mismatches += (value != holds ? 1 : 0) - (before != holds ? 1 : 0);
            }
        }
        return mismatches == 0;
    }

    /// <summary>What batch <paramref name="b"/> leaves at each key it writes: its id, or 0 where it deletes.</summary>
    private static Dictionary<(int Cf, int Key), int> Effects(WorkloadBatch b)
    {
        var effects = new Dictionary<(int Cf, int Key), int>();
        foreach (var op in b.Ops)
        {
            if (op.Kind == BatchOpKind.Put) effects[(op.ColumnFamily, op.Key)] = b.Id;
            else for (int k = op.Key; k < (op.Kind == BatchOpKind.Delete ? op.Key + 1 : op.KeyEnd); k++) effects[(op.ColumnFamily, k)] = 0;
        }
        return effects;
    }

    private static string Name((int Cf, int Key) key) => $"{WorkloadHistory.ColumnFamilyName(key.Cf)}/k{key.Key:D3}";

    private static string Describe(int batch) => batch == 0 ? "nothing" : $"batch {batch}'s value";
}
