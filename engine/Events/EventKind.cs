namespace LatticeKV;

/// <summary>
/// What a <see cref="LatticeEvent"/> reports. The names are written to the event file
/// (FORMAT.md, "EVENTS") and double as the <see cref="Microsoft.Extensions.Logging.EventId"/>
/// names of the log messages; the numbers are their ids. Do not renumber or rename.
/// </summary>
public enum EventKind
{
    /// <summary>A memtable flush started (<see cref="FlushBegunEvent"/>).</summary>
    FlushBegun = 1,
    /// <summary>A memtable flush finished (<see cref="FlushCompletedEvent"/>).</summary>
    FlushCompleted = 2,
    /// <summary>A compaction started (<see cref="CompactionBegunEvent"/>).</summary>
    CompactionBegun = 3,
    /// <summary>A compaction finished (<see cref="CompactionCompletedEvent"/>).</summary>
    CompactionCompleted = 4,
    /// <summary>Writes began to be slowed or stopped (<see cref="WriteStallBegunEvent"/>).</summary>
    WriteStallBegun = 5,
    /// <summary>Writes run at full speed again (<see cref="WriteStallEndedEvent"/>).</summary>
    WriteStallEnded = 6,
    /// <summary>Background work failed and writes stopped (<see cref="BackgroundErrorEvent"/>).</summary>
    BackgroundError = 7,
    /// <summary>Stored data was found damaged (<see cref="CorruptionDetectedEvent"/>).</summary>
    CorruptionDetected = 8,
    /// <summary>The engine worked around damage (<see cref="RecoveryActionEvent"/>).</summary>
    RecoveryAction = 9,
    /// <summary><see cref="LatticeDb.Repair"/> rebuilt the database (<see cref="RepairEvent"/>).</summary>
    Repair = 10,
    /// <summary>An automatic backup was created (<see cref="BackupEvent"/>).</summary>
    Backup = 11,
    /// <summary>A sync session with a peer ended (<see cref="SyncRoundEvent"/>).</summary>
    SyncRound = 12,
    /// <summary>An alert rule's condition began (<see cref="AlertFiredEvent"/>).</summary>
    AlertFired = 13,
    /// <summary>An alert rule's condition ended (<see cref="AlertClearedEvent"/>).</summary>
    AlertCleared = 14,
    /// <summary>An operation took longer than the slow-operation threshold (<see cref="SlowOperationEvent"/>).</summary>
    SlowOperation = 15,
}
