namespace LatticeKV.Tool.Crash.States;

/// <summary>What the oracle concluded about one state at one crash point.</summary>
/// <param name="Violations">Broken promises (README, "The durability promise"), each a sentence.</param>
/// <param name="OutOfOrder">The promise held, but the state is no prefix of the history: some unsynced
/// batch was lost while a later one survived.</param>
internal sealed record OracleVerdict(IReadOnlyList<string> Violations, bool OutOfOrder);

/// <summary>
/// Checks an opened crash state against the workload's history at a crash point. With S the
/// last batch acknowledged with Sync = true before the crash point and I the last batch issued
/// before it (one writer: batch ids are log order): every key must hold what it held after some
/// batch j, S ≤ j ≤ I (so every batch up to S is there and nothing issued later or never written
/// is); every batch visible on one key must be visible on all the keys it wrote (a batch is never
/// half-applied, across column families); every column family whose creation returned must exist.
/// A state passing all that but matching no single prefix 1..j is reported as out of order.
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

        // The model after batch `synced`, then every change batches synced+1..issued make, per key.
        var model = new Dictionary<(int Cf, int Key), int>();
        foreach (var b in history.Batches.TakeWhile(b => b.Id <= synced)) WorkloadHistory.Apply(b, model);
        var changes = new Dictionary<(int Cf, int Key), List<(int Batch, int Value)>>();
        int mismatches = Mismatches(model, observed.Values);
        bool prefix = mismatches == 0;
        foreach (var b in history.Batches.Where(b => b.Id > synced && b.Id <= issued))
        {
            var touched = new HashSet<(int, int)>();
            foreach (var key in b.Ops.SelectMany(Keys)) touched.Add(key);
            foreach (var key in touched) mismatches -= Differs(model, observed.Values, key) ? 1 : 0;
            WorkloadHistory.Apply(b, model);
            foreach (var key in touched)
            {
                mismatches += Differs(model, observed.Values, key) ? 1 : 0;
                if (!changes.TryGetValue(key, out var list)) changes[key] = list = [];
                list.Add((b.Id, model.GetValueOrDefault(key)));
            }
            prefix |= mismatches == 0;
        }
        if (prefix && violations.Count == 0) return new([], false);

        // No prefix matches: name the keys and batches that break the promise.
        var required = new Dictionary<(int Cf, int Key), int>();
        foreach (var b in history.Batches.TakeWhile(b => b.Id <= synced)) WorkloadHistory.Apply(b, required);
        foreach (var key in observed.Values.Keys.Concat(required.Keys).Concat(changes.Keys).Distinct())
        {
            int seen = observed.Values.GetValueOrDefault(key);
            if (Possible(key, seen, required, changes, from: synced)) continue;
            string name = Name(key);
            if (seen > issued || (seen > 0 && !history.Batches[seen - 1].Ops.Any(o => o.Kind == BatchOpKind.Put && (o.ColumnFamily, o.Key) == key)))
                violations.Add($"{name} holds a value of batch {seen}, which {(seen > issued ? "was not yet issued at the crash" : "never wrote it")}");
            else
                violations.Add($"{name} holds {(seen == 0 ? "nothing" : $"batch {seen}'s value")}, but batch {synced} was acknowledged synced, after which it held {Describe(required.GetValueOrDefault(key))}{Later(changes, key)}: a synced write (or one acknowledged before it) was lost");
        }
        foreach (int b in observed.Values.Values.Distinct().Where(b => b > synced && b <= issued).Order())
        {
            foreach (var op in history.Batches[b - 1].Ops.Where(o => o.Kind == BatchOpKind.Put))
            {
                var key = (op.ColumnFamily, op.Key);
                if (!Possible(key, observed.Values.GetValueOrDefault(key), required, changes, from: b))
                {
                    var visible = observed.Values.First(kv => kv.Value == b).Key;
                    violations.Add($"batch {b} is half-applied: {Name(visible)} holds its value, but {Name(key)}, which it put, holds {Describe(observed.Values.GetValueOrDefault(key))}");
                }
            }
        }
        return new(violations, violations.Count == 0);
    }

    /// <summary>Whether <paramref name="key"/> may hold batch <paramref name="seen"/>'s value (0: nothing) if batches up to <paramref name="from"/> all applied.</summary>
    private static bool Possible((int Cf, int Key) key, int seen, Dictionary<(int Cf, int Key), int> required, Dictionary<(int Cf, int Key), List<(int Batch, int Value)>> changes, int from)
    {
        if (!changes.TryGetValue(key, out var list)) return seen == required.GetValueOrDefault(key);
        int atFrom = required.GetValueOrDefault(key);
        foreach (var (batch, value) in list)
        {
            if (batch <= from) atFrom = value;
            else if (value == seen) return true;
        }
        return atFrom == seen;
    }

    private static string Name((int Cf, int Key) key) => $"{WorkloadHistory.ColumnFamilyName(key.Cf)}/k{key.Key:D3}";

    private static string Describe(int batch) => batch == 0 ? "nothing" : $"batch {batch}'s value";

    private static string Later(Dictionary<(int Cf, int Key), List<(int Batch, int Value)>> changes, (int Cf, int Key) key)
        => changes.TryGetValue(key, out var list) && list.Count > 0 ? $" (later batches: {string.Join(", ", list.Select(c => Describe(c.Value)))})" : "";

    private static IEnumerable<(int Cf, int Key)> Keys(BatchOp op)
        => op.Kind == BatchOpKind.DeleteRange ? Enumerable.Range(op.Key, op.KeyEnd - op.Key).Select(k => (op.ColumnFamily, k)) : [(op.ColumnFamily, op.Key)];

    private static bool Differs(Dictionary<(int Cf, int Key), int> model, IReadOnlyDictionary<(int Cf, int Key), int> observed, (int Cf, int Key) key)
        => model.GetValueOrDefault(key) != observed.GetValueOrDefault(key);

    private static int Mismatches(Dictionary<(int Cf, int Key), int> model, IReadOnlyDictionary<(int Cf, int Key), int> observed)
        => model.Keys.Concat(observed.Keys).Distinct().Count(k => Differs(model, observed, k));
}
