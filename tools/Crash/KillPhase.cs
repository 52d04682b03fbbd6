using LatticeKV.Io;

namespace LatticeKV.Tool.Crash;

/// <summary>Where in its life the crash child was when the kill landed.</summary>
public enum KillPhase
{
    /// <summary>Opening, before the new log exists: reading the MANIFEST and replaying the old logs.</summary>
    LogReplay,
    /// <summary>Opening, after the new log was created and before the new MANIFEST: the recovery flush.</summary>
    RecoveryFlush,
    /// <summary>Opening, after the new MANIFEST: writing the options file and deleting obsolete files.</summary>
    FinishingOpen,
    /// <summary>Open, nothing acknowledged yet.</summary>
    Opened,
    /// <summary>Writing: at least one operation acknowledged.</summary>
    Writing,
}

/// <summary>Names kill phases and tells, from the files a killed open left, how far it got.</summary>
public static class KillPhases
{
    public static string Describe(KillPhase phase) => phase switch
    {
        KillPhase.LogReplay => "open: log replay",
        KillPhase.RecoveryFlush => "open: recovery flush",
        KillPhase.FinishingOpen => "open: after the recovery edit",
        KillPhase.Opened => "opened, nothing acknowledged",
        _ => "writing",
    };

    /// <summary>
    /// How far an open killed before it returned got, from the database's files before the child
    /// started and after the kill: the open creates its new log after replaying the old ones,
    /// then flushes what it replayed, then writes a new MANIFEST.
    /// </summary>
    public static KillPhase OfKilledOpen(IReadOnlyCollection<string> filesBefore, IEnumerable<string> filesAfter)
    {
        var before = filesBefore.ToHashSet(StringComparer.Ordinal);
        var created = filesAfter.Where(f => !before.Contains(f)).Select(f => FileNames.Parse(f, out _)).ToList();
        return created.Contains(DbFileKind.Manifest) ? KillPhase.FinishingOpen
            : created.Contains(DbFileKind.Log) ? KillPhase.RecoveryFlush
            : KillPhase.LogReplay;
    }
}
