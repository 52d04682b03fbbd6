namespace LatticeKV.Db;

/// <summary>
/// A feature's part of stage 1 of the write path (see <see cref="WritePath"/>): it runs on the
/// caller's thread after the batch is checked and before it is queued, and may return a
/// replacement batch (never changing the caller's), which is then logged as one record with
/// everything else in it. Stages run in the order they were added; a stage that throws rejects
/// the whole batch before anything is written. A stage whose decision depends on the state at
/// commit (a unique constraint) adds an <see cref="ICommitCheck"/> to <c>check</c>
/// with <see cref="CombinedCommitCheck.Combine"/>; the leader runs it in stage 3.
/// </summary>
internal interface IWriteStage
{
    WriteBatch Prepare(WriteBatch batch, ref ICommitCheck? check);
}
