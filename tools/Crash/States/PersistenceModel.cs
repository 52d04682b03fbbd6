namespace LatticeKV.Tool.Crash.States;

/// <summary>
/// Which disk states a power loss may leave after a recorded trace (README, "Crash states").
/// Both keep everything an fsync made durable before the crash and drop nothing after it that
/// the model does not allow to be dropped; they differ in what they assume beyond fsync.
/// </summary>
internal enum PersistenceModel
{
    /// <summary>
    /// ext4 with data=ordered (its default). Metadata (creates, renames, deletes, ftruncate) is
    /// journaled in program order: what persists is a prefix of it, at least up to what the
    /// fsyncs before the crash committed (an fsync commits the journal transaction holding the
    /// synced file's or directory's last metadata change, and a file fsync that allocates
    /// appended blocks commits everything before it). Bytes appended to a file persist as a
    /// prefix of its appends, together with the size that exposes them, never as garbage or
    /// zeros (delayed allocation: the size reaches the journal only after the data is written).
    /// Pages overwritten in place (the log's mapping writes into space already inside the file)
    /// persist in any subset, each page holding one of the versions it had.
    /// </summary>
    Ext4Ordered,

    /// <summary>
    /// Stricter: only fsync orders anything. A file fsync makes that file's data and size
    /// durable (not its name); a directory fsync makes the directory's entries durable.
    /// Later directory operations persist as any prefix of them in program order; each file's
    /// size is any size it had since its last fsync; any subset of its page writes since then
    /// persists, each page holding one of its versions; bytes inside the size that no kept
    /// write covers read as zeros.
    /// </summary>
    AnySubset,
}
