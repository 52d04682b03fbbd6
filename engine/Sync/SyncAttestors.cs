using System.Runtime.CompilerServices;

namespace LatticeKV.Sync;

/// <summary>
/// The <see cref="ISyncAttestor"/>s of each open database (a subsystem such as the ledger adds
/// its own when it opens and removes it when it closes). Thread-safe.
/// </summary>
internal static class SyncAttestors
{
    private static readonly ConditionalWeakTable<LatticeDb, List<ISyncAttestor>> Registered = new();

    public static void Add(LatticeDb db, ISyncAttestor attestor)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(attestor);
        var list = Registered.GetValue(db, static _ => []);
        lock (list)
        {
            if (list.Exists(a => a.Name == attestor.Name))
                throw new InvalidArgumentException($"A sync attestor named '{attestor.Name}' is already registered for this database.", nameof(attestor));
            list.Add(attestor);
        }
    }

    public static void Remove(LatticeDb db, ISyncAttestor attestor)
    {
        if (!Registered.TryGetValue(db, out var list)) return;
        lock (list) list.Remove(attestor);
    }

    /// <summary>A copy of the database's attestors (empty when it has none).</summary>
    public static ISyncAttestor[] Of(LatticeDb db)
    {
        if (!Registered.TryGetValue(db, out var list)) return [];
        lock (list) return [.. list];
    }
}
