namespace LatticeKV.Tool.Crash.States;

/// <summary>
/// Chooses crash points in a trace and, for each, a bounded set of crash states, as CrashMonkey
/// bounds its exploration: the state with nothing optional kept, the state with everything kept
/// (what a process kill leaves), each optional page unit dropped alone and kept alone, metadata
/// cuts with all data kept, and seeded random subsets. Many choices give the same files; the
/// explorer counts distinct states by their hash.
/// </summary>
internal sealed class CrashStateGenerator(CrashTrace trace, Random random)
{
    /// <summary>
    /// Up to <paramref name="count"/> crash points: just before and just after every fsync, just
    /// after every acknowledgement, and arbitrary points, sampled evenly from these in trace order.
    /// </summary>
    public List<int> CrashPoints(int count)
    {
        var candidates = new SortedSet<int>();
        for (int i = 0; i < trace.Count; i++)
        {
            var kind = trace.Ops[i].Kind;
            if (kind is Io.FsOpKind.SyncFile or Io.FsOpKind.SyncDirectory)
            {
                candidates.Add(i);
                candidates.Add(i + 1);
            }
            else if (kind == Io.FsOpKind.Marker)
            {
                candidates.Add(i + 1);
            }
        }
        for (int i = 0; i < Math.Max(4, count / 4); i++) candidates.Add(random.Next(trace.Count + 1));
        var all = candidates.ToList();
        if (all.Count <= count) return all;
        // An even stride with a random offset covers the whole workload (creation, flushes, the reopen, the close).
        var chosen = new List<int>(count);
        double stride = (double)all.Count / count;
        double at = random.NextDouble() * stride;
        for (int i = 0; i < count; i++, at += stride) chosen.Add(all[Math.Min(all.Count - 1, (int)at)]);
        return [.. chosen.Distinct()];
    }

    /// <summary>Up to <paramref name="budget"/> crash states for crash point <paramref name="point"/> under <paramref name="model"/>.</summary>
    public IEnumerable<CrashChoice> Choices(int point, PersistenceModel model, int budget)
    {
        var optional = trace.OptionalUnits(point);
        int floor = Math.Min(trace.MetadataFloor(point, model), point);
        var sized = model == PersistenceModel.AnySubset ? trace.FilesWithUnsyncedSize(point) : [];
        var none = new HashSet<int>();
        var all = optional.ToHashSet();
        var lowest = sized.ToDictionary(f => f, f => Math.Max(0, trace.LastSync(f, point)));
        var highest = sized.ToDictionary(f => f, _ => point);

        var result = new List<CrashChoice>
        {
            new(point, model, floor, none, lowest, "only what fsync made durable"),
            new(point, model, point, all, highest, "everything written (as a process kill leaves it)"),
        };
        var shuffled = optional.OrderBy(_ => random.Next()).ToList();
        int singles = Math.Max(1, (budget - result.Count) / 3);
        foreach (int u in shuffled.Take(singles))
        {
            result.Add(new(point, model, point, all.Where(x => x != u).ToHashSet(), highest, $"all but unit {u}"));
            result.Add(new(point, model, point, new HashSet<int> { u }, highest, $"only unit {u}"));
        }
        while (result.Count < budget)
        {
            int cut = floor + random.Next(point - floor + 1);
            double p = random.Next(3) switch { 0 => 0.5, 1 => 0.9, _ => random.NextDouble() };
            var kept = optional.Where(_ => random.NextDouble() < p).ToHashSet();
            var sizes = sized.ToDictionary(f => f, f => lowest[f] + random.Next(point - lowest[f] + 1));
            bool metadataOnly = random.Next(4) == 0;
            result.Add(metadataOnly
                ? new(point, model, cut, all, highest, "all data, metadata cut")
                : new(point, model, cut, kept, sizes, $"random subset (p={p:F2})"));
            if (optional.Count == 0 && floor == point && sized.Count == 0) break; // nothing to choose
        }
        return result.Take(budget);
    }
}
