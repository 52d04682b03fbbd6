namespace LatticeKV.Db;

/// <summary>
/// Every test-only knob of the engine, in one place (<see cref="DbOptions.TestHooks"/>); none is
/// part of the public API, and production code reads each only where noted. The file-system seam
/// (<see cref="DbOptions.FileSystem"/>, with <see cref="Io.SyscallFaults"/> and the in-memory and
/// fault-injecting file systems) is the other way tests reach inside.
/// </summary>
internal sealed class TestHooks
{
    /// <summary>Replaces the adaptive cap on a synced group leader's wait for writers (tests make it long so timing cannot decide).</summary>
    public TimeSpan? SyncedWritersWait { get; init; }

    /// <summary>The idle level-0 drain ignores its share of the work written (<see cref="IdleL0Drain.RewriteShare"/>): tests of small trees drain them.</summary>
    public bool IdleDrainUnamortized { get; init; }

    /// <summary>Automatic backups run only when a test calls <see cref="LatticeDb.RunAutoBackupNow"/>: no background thread decides.</summary>
    public bool ManualAutoBackup { get; init; }

    /// <summary>Called after each file a migration rollback deletes or restores: a test throws from it to simulate a crash mid-rollback.</summary>
    public Action? MigrationRestoreFile { get; init; }

    /// <summary>Called after each write a migration commits (lkv migrate-child kills its own process here to crash at an exact write).</summary>
    public Action? AfterMigrationWrite { get; init; }

    /// <summary>
    /// Called with the stored path of an archived log's temporary file once it is complete, just
    /// before it is renamed into place: a test collects garbage here, or lkv archive-child kills
    /// its own process to crash between the two.
    /// </summary>
    public Action<string>? LogArchiveWritten { get; init; }

    /// <summary>
    /// Called with a retired log's number once it is archived under its final name, before the
    /// database deletes it: lkv archive-child kills its own process here, so that the reopened
    /// database finds the log both in its directory and in the archive, and archives it again.
    /// </summary>
    public Action<long>? LogArchived { get; init; }

    /// <summary>
    /// Called by the remote apply's foreign-key rules once their last pass over a part found
    /// nothing more to act on, before they say what must still hold at commit: a test writes
    /// here to land just after the rules' last read of children and parents.
    /// </summary>
    public Action? RemoteApplyRulesSettled { get; init; }

    /// <summary>
    /// Called on each compaction thread and on the automatic backup thread, with the thread's name,
    /// once it has lowered its priority: a test reads that thread's nice value there, whatever
    /// threads of the same name other databases in the process run.
    /// </summary>
    public Action<string>? BackgroundThreadStarted { get; init; }

    /// <summary>
    /// Called by a truncation pass of the change log that found changes to drop, between its scan
    /// and its write: a test runs another pass here to overlap the two.
    /// </summary>
    public Action? ChangeLogTruncationScanned { get; init; }

    /// <summary>The change log is truncated only when a test calls <see cref="Replication.ReplicationLog.TruncateNow"/>: no pass a write starts on the thread pool races it.</summary>
    public bool ManualChangeLogTruncation { get; init; }

    /// <summary>Replaces sync's idle timeout (and its 15 s floor): tests of dead peers wait fractions of a second.</summary>
    public TimeSpan? SyncIdleTimeout { get; init; }

    /// <summary>Replaces sync's 5 s heartbeat interval, so that tests with short idle timeouts keep live sessions alive.</summary>
    public TimeSpan? SyncHeartbeatInterval { get; init; }
}
