namespace LatticeKV.Tool.Crash.States;

/// <summary>
/// A materialised crash state: the database directory's files by name, a hash of them (for
/// telling distinct states apart), whether some file kept a later unsynced write while losing an
/// earlier one (a state the prefix-only power-loss model never produces), and which optional
/// units were dropped and kept, for the report.
/// </summary>
internal sealed record CrashState(CrashChoice Choice, IReadOnlyDictionary<string, byte[]> Files, UInt128 Hash, bool NonPrefix, IReadOnlyList<int> Dropped, IReadOnlyList<int> KeptUnits)
{
    /// <summary>Which units were kept and dropped, by trace index and file offset (at most a few of each).</summary>
    public string Describe(CrashTrace trace)
    {
        string Units(IReadOnlyList<int> ids) => ids.Count == 0 ? "none"
            : string.Join(", ", ids.Take(6).Select(id => $"#{trace.Units[id].Op} {System.IO.Path.GetFileName(trace.Ops[trace.Units[id].Op].Path)}@{trace.Units[id].Offset}"))
              + (ids.Count > 6 ? $" and {ids.Count - 6} more" : "");
        return $"{Choice}; unsynced page writes kept: {Units(KeptUnits)}; dropped: {Units(Dropped)}";
    }
}
