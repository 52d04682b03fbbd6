namespace LatticeKV.Tool.Crash;

/// <summary>
/// What both crash oracles check whatever they expect: no key the workload cannot have written,
/// no damaged value, every group whole, scans in order, and every read path seeing the same
/// database. What is left for an oracle is each view's group states.
/// </summary>
internal static class ViewChecks
{
    /// <summary>
    /// Checks <paramref name="views"/> and returns, per view, the state of every group in
    /// <paramref name="known"/> whose members agree (0 absent, else an operation id). A group
    /// outside <paramref name="known"/> holding anything is a stray.
    /// </summary>
    public static IReadOnlyList<Dictionary<int, long>> Resolve(IReadOnlyList<ReadPathView> views, IReadOnlySet<int> known, ViolationLog log)
    {
        var resolved = new List<Dictionary<int, long>>();
        foreach (var view in views)
        {
            foreach (var stray in view.StrayKeys) log.Add(ViolationKind.StrayKey, stray, view.Name);
            foreach (var error in view.OrderErrors) log.Add(ViolationKind.ScanOrder, error, view.Name);
            foreach (var (g, members) in view.Groups)
                if (!known.Contains(g) && members.Any(m => m != 0))
                    log.Add(ViolationKind.StrayKey, $"group {g}, never written, holds {Show(members)}", view.Name);

            var states = new Dictionary<int, long>();
            foreach (int g in known)
            {
                var members = view.Members(g);
                int damaged = Array.IndexOf(members, ReadPathView.Damaged);
                if (damaged >= 0) log.Add(ViolationKind.DamagedValue, $"group {g} member {damaged}", view.Name);
                else if (members.Distinct().Count() > 1) log.Add(ViolationKind.HalfApplied, $"group {g}'s keys disagree: {Show(members)}", view.Name);
                else states[g] = members[0];
            }
            resolved.Add(states);
        }

        foreach (int g in views.SelectMany(v => v.Groups.Keys).Union(known).Distinct().Order())
        {
            var seen = views.Where(v => v.Saw(g)).Select(v => (v.Name, Members: v.Members(g))).ToList();
            if (seen.Any(s => !s.Members.SequenceEqual(seen[0].Members)))
                log.Add(ViolationKind.ReadPathsDisagree, $"group {g}: " + string.Join(", ", seen.Select(s => $"{s.Name} sees {Show(s.Members)}")));
        }
        return resolved;
    }

    /// <summary>Members as "[12, 12, 0, 0]" (0 absent, -1 damaged).</summary>
    public static string Show(long[] members) => "[" + string.Join(", ", members) + "]";

    /// <summary>
    /// The kind of a group state no allowance admits: absent or older than <paramref name="expected"/>
    /// is a lost write; a value where a delete was acknowledged is a resurrected delete when the
    /// group held it before (ids grow per group, so at most <paramref name="lastPut"/>); anything
    /// newer is a value nobody wrote there.
    /// </summary>
    public static string Classify(long observed, long expected, long lastPut) =>
        observed == 0 ? ViolationKind.LostWrite
        : expected == 0 ? (observed <= lastPut ? ViolationKind.ResurrectedDelete : ViolationKind.StrayValue)
        : observed < expected ? ViolationKind.LostWrite
        : ViolationKind.StrayValue;
}
