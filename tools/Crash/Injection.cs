namespace LatticeKV.Tool.Crash;

/// <summary>
/// A known violation the self-test plants in a crashed database (after the crash, before the
/// verification) to show that the oracle reports it. Not for normal runs.
/// </summary>
public enum Injection
{
    None,
    /// <summary>Delete every key of a group whose acknowledged (or durable) state is a put.</summary>
    LostWrite,
    /// <summary>Roll back half the keys of such a group: half of one batch's keys lose its value.</summary>
    HalfApplied,
    /// <summary>Put back, in a group whose acknowledged state is a delete, the value it held before.</summary>
    ResurrectedDelete,
    /// <summary>Put a key in a group the workload never writes.</summary>
    StrayKey,
}

/// <summary>The command-line names of <see cref="Injection"/> and the violation each must provoke.</summary>
public static class Injections
{
    public static IReadOnlyList<Injection> All { get; } = [Injection.LostWrite, Injection.HalfApplied, Injection.ResurrectedDelete, Injection.StrayKey];

    public static string Name(Injection injection) => injection switch
    {
        Injection.LostWrite => "lost-write",
        Injection.HalfApplied => "half-applied",
        Injection.ResurrectedDelete => "resurrected-delete",
        Injection.StrayKey => "stray-key",
        _ => "none",
    };

    public static bool TryParse(string name, out Injection injection)
    {
        injection = All.FirstOrDefault(i => Name(i) == name);
        return injection != Injection.None;
    }

    /// <summary>The <see cref="ViolationKind"/> an oracle must report for <paramref name="injection"/>.</summary>
    public static string ExpectedKind(Injection injection) => injection switch
    {
        Injection.LostWrite => ViolationKind.LostWrite,
        Injection.HalfApplied => ViolationKind.HalfApplied,
        Injection.ResurrectedDelete => ViolationKind.ResurrectedDelete,
        Injection.StrayKey => ViolationKind.StrayKey,
        _ => throw new ArgumentOutOfRangeException(nameof(injection)),
    };
}
