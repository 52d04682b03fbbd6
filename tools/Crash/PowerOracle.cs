namespace LatticeKV.Tool.Crash;

/// <summary>One batch a power-mode worker issued: the state it leaves in each group it touches (0: deleted).</summary>
public sealed record PowerOp(long Id, IReadOnlyDictionary<int, long> Effects);

/// <summary>
/// One worker's writes in one cycle: the groups it owns ([<paramref name="FirstGroup"/>,
/// <paramref name="EndGroup"/>)), the batches it issued in order, and how many of the first ones
/// must survive a power cut (acknowledged before a synced write that returned was issued).
/// </summary>
public sealed record WorkerHistory(int FirstGroup, int EndGroup, IReadOnlyList<PowerOp> Ops, int DurableCount);

/// <summary>
/// The power-mode oracle. A power cut keeps a prefix of the log, and a worker issues its next
/// batch only after the last returned, so what survives of one worker's batches is a prefix of
/// them: its first k, for some k no smaller than its durable count. Every group the worker owns
/// must hold exactly what that prefix leaves, read by every path. A batch whose groups span
/// column families or carry a range delete is therefore judged as one unit: a prefix that
/// explains some of its groups but not others does not exist.
/// </summary>
public static class PowerOracle
{
    /// <summary>
    /// Judges what <paramref name="views"/> show after a power cut, given each group's state when
    /// the cycle began (<paramref name="baseline"/>: durable, the database was reopened on it), the
    /// newest put each group received in earlier cycles (<paramref name="lastPut"/>, kept after
    /// deletes), and what each writer issued. Returns the violations of cycle <paramref name="cycle"/>.
    /// </summary>
    public static IReadOnlyList<string> Check(IReadOnlyList<ReadPathView> views, IReadOnlyDictionary<int, long> baseline,
        IReadOnlyDictionary<int, long> lastPut, IReadOnlyList<WorkerHistory> workers, int cycle)
    {
        var log = new ViolationLog(cycle);
        var known = workers.SelectMany(w => Enumerable.Range(w.FirstGroup, w.EndGroup - w.FirstGroup)).ToHashSet();
        var resolved = ViewChecks.Resolve(views, known, log);
        for (int v = 0; v < views.Count; v++)
            for (int w = 0; w < workers.Count; w++)
                CheckWorker(workers[w], w, resolved[v], baseline, lastPut, log, views[v].Name);
        return log.Messages;
    }

    /// <summary>Groups whose state after the cut is certain: no batch after the durable ones touches them.</summary>
    public static Dictionary<int, SettledGroup> Settled(IReadOnlyDictionary<int, long> baseline, IReadOnlyDictionary<int, long> lastPut, IReadOnlyList<WorkerHistory> workers)
    {
        var settled = new Dictionary<int, SettledGroup>();
        foreach (var worker in workers)
        {
            var state = StateAfter(worker, worker.DurableCount, baseline);
            var later = worker.Ops.Skip(worker.DurableCount).SelectMany(op => op.Effects.Keys).ToHashSet();
            foreach (var (g, s) in state)
                if (!later.Contains(g)) settled[g] = new SettledGroup(s, LastPut(worker, g, lastPut));
        }
        return settled;
    }

    private static void CheckWorker(WorkerHistory worker, int index, Dictionary<int, long> observed, IReadOnlyDictionary<int, long> baseline,
        IReadOnlyDictionary<int, long> lastPut, ViolationLog log, string readPath)
    {
        // Walk the prefixes k = 0..n, keeping the number of judged groups the prefix does not explain.
        var state = StateAfter(worker, 0, baseline);
        int mismatches = state.Count(kv => observed.TryGetValue(kv.Key, out long o) && o != kv.Value);
        int nearest = -1, fewest = int.MaxValue;
        for (int k = 0; ; k++)
        {
            if (k >= worker.DurableCount)
            {
                if (mismatches == 0) return;
                if (mismatches <= fewest) (nearest, fewest) = (k, mismatches);
            }
            if (k == worker.Ops.Count) break;
            foreach (var (g, effect) in worker.Ops[k].Effects)
            {
                if (observed.TryGetValue(g, out long o)) mismatches += (o != effect ? 1 : 0) - (o != state[g] ? 1 : 0);
                state[g] = effect;
            }
        }

        // No prefix fits. Name each group the nearest prefix leaves unexplained.
        var expected = StateAfter(worker, nearest, baseline);
        var possible = PossibleStates(worker, baseline);
        foreach (var (g, have) in observed.Where(kv => expected.ContainsKey(kv.Key) && expected[kv.Key] != kv.Value).OrderBy(kv => kv.Key))
        {
            // A state the group may hold on its own, but not together with the others: a batch split.
            string kind = possible[g].Contains(have) ? ViolationKind.HalfApplied : ViewChecks.Classify(have, expected[g], LastPut(worker, g, lastPut));
            log.Add(kind, $"group {g} holds {have}; no prefix of worker {index}'s {worker.Ops.Count} batches ({worker.DurableCount} durable) explains it " +
                $"with the worker's other groups, the nearest (its first {nearest}) leaves {expected[g]}", readPath);
        }
    }

    /// <summary>Each group's state after the worker's first <paramref name="count"/> batches.</summary>
    private static Dictionary<int, long> StateAfter(WorkerHistory worker, int count, IReadOnlyDictionary<int, long> baseline)
    {
        var state = Enumerable.Range(worker.FirstGroup, worker.EndGroup - worker.FirstGroup).ToDictionary(g => g, g => baseline.GetValueOrDefault(g));
        foreach (var op in worker.Ops.Take(count))
            foreach (var (g, effect) in op.Effects) state[g] = effect;
        return state;
    }

    /// <summary>Per group, every state some allowed prefix leaves in it.</summary>
    private static Dictionary<int, HashSet<long>> PossibleStates(WorkerHistory worker, IReadOnlyDictionary<int, long> baseline)
    {
        var possible = StateAfter(worker, worker.DurableCount, baseline).ToDictionary(kv => kv.Key, kv => new HashSet<long> { kv.Value });
        foreach (var op in worker.Ops.Skip(worker.DurableCount))
            foreach (var (g, effect) in op.Effects) possible[g].Add(effect);
        return possible;
    }

    private static long LastPut(WorkerHistory worker, int group, IReadOnlyDictionary<int, long> lastPut)
        => worker.Ops.Where(op => op.Effects.GetValueOrDefault(group) > 0).Select(op => op.Id).DefaultIfEmpty(lastPut.GetValueOrDefault(group)).Max();
}
