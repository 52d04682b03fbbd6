namespace LatticeKV;

/// <summary>
/// The operations the engine times: the latency histograms of the <c>LatticeKV</c> meter, the
/// slow-operation log and latency alerts all name an operation by this kind.
/// </summary>
public enum OperationKind
{
    /// <summary>A point read (<c>db.Get</c>, <c>db.TryGet</c>).</summary>
    Get,
    /// <summary>A single put.</summary>
    Put,
    /// <summary>A batch write (<see cref="LatticeDb.Write(WriteBatch, WriteOptions?)"/>).</summary>
    Write,
    /// <summary>A single delete.</summary>
    Delete,
    /// <summary>An iterator's seek (first, last, to a key).</summary>
    Seek,
    /// <summary>An iterator's step (next or previous).</summary>
    Next,
    /// <summary>A merge operand written (<c>db.Merge</c>).</summary>
    Merge,
    /// <summary>A transaction's commit.</summary>
    TransactionCommit,
    /// <summary>A batch of a peer's changes applied by sync.</summary>
    SyncApply,
}
