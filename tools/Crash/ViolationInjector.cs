namespace LatticeKV.Tool.Crash;

/// <summary>
/// Plants one <see cref="Injection"/> in a crashed database through the public API, as the
/// engine would if it had that bug, so the self-test can show each oracle reports it.
/// </summary>
internal static class ViolationInjector
{
    /// <summary>
    /// Plants <paramref name="injection"/> in <paramref name="db"/>, touching only groups in
    /// <paramref name="settled"/> (those whose state after the crash is certain); a stray key goes
    /// above <paramref name="workloadGroups"/>, which the workload never reaches. Groups live in
    /// column family g mod <paramref name="columnFamilies"/>. Returns what was planted, or null
    /// when no group fits yet (plant after a later crash).
    /// </summary>
    public static string? Plant(LatticeDb db, Injection injection, IReadOnlyDictionary<int, SettledGroup> settled, int workloadGroups, int columnFamilies)
    {
        ColumnFamilyHandle Family(int g) => db.GetColumnFamily(CrashProtocol.ColumnFamily(g, columnFamilies));
        int? Pick(Func<SettledGroup, bool> fits) => settled.Where(kv => fits(kv.Value)).Select(kv => (int?)kv.Key).Min();
        var batch = new WriteBatch();
        string planted;
        switch (injection)
        {
            case Injection.LostWrite when Pick(s => s.State != 0) is int g:
                for (int m = 0; m < CrashProtocol.KeysPerGroup; m++) batch.Delete(Family(g), CrashProtocol.Key(g, m));
                planted = $"deleted group {g}, which must hold {settled[g].State}";
                break;
            case Injection.HalfApplied when Pick(s => s.State != 0) is int g:
                for (int m = 0; m < CrashProtocol.KeysPerGroup / 2; m++) batch.Delete(Family(g), CrashProtocol.Key(g, m));
                planted = $"rolled back half the keys of group {g}, which must hold {settled[g].State}";
                break;
            case Injection.ResurrectedDelete when Pick(s => s.State == 0 && s.LastPut != 0) is int g:
                long old = settled[g].LastPut;
                for (int m = 0; m < CrashProtocol.KeysPerGroup; m++) batch.Put(Family(g), CrashProtocol.Key(g, m), CrashProtocol.Value(old, m));
                planted = $"put {old} back into group {g}, deleted since";
                break;
            case Injection.StrayKey:
                int stray = workloadGroups + 1;
                batch.Put(Family(stray), CrashProtocol.Key(stray, 0), CrashProtocol.Value(1, 0));
                planted = $"put a key of group {stray}, which the workload never writes";
                break;
            default:
                return null;
        }
        db.Write(batch, new WriteOptions { Sync = true });
        return planted;
    }
}
