namespace LatticeKV.Db;

/// <summary>
/// Stage 4 of the write path (see <see cref="WritePath"/>): what only the commit order decides,
/// written into a batch by the leader after sequence numbers are assigned and before the group
/// is logged. The replication log uses it to give change records their positions (their own
/// sequence numbers) and clock readings, so that positions follow commit order with no gap a
/// reader could skip. Called by the leader only, one group at a time.
/// </summary>
internal interface IWriteStamp
{
    /// <summary>True when <paramref name="batch"/> holds something to stamp (a cheap test: it runs for every member).</summary>
    bool Wants(WriteBatch batch);

    /// <summary>Writes the stamps into <paramref name="batch"/> (a stage's own copy, never a caller's), whose first operation gets <paramref name="firstSequence"/>.</summary>
    void Stamp(WriteBatch batch, ulong firstSequence);

    /// <summary>A group holding stamped batches is visible to readers up to <paramref name="lastSequence"/>.</summary>
    void Published(ulong lastSequence);
}
