namespace LatticeKV.Tool.Crash.States;

/// <summary>What one operation of a batch does: put or delete key <see cref="Key"/>, or delete keys [<see cref="Key"/>, <see cref="KeyEnd"/>).</summary>
internal readonly record struct BatchOp(BatchOpKind Kind, int ColumnFamily, int Key, int KeyEnd = 0);

internal enum BatchOpKind
{
    Put,
    Delete,
    DeleteRange,
}

/// <summary>
/// One batch of the workload with the trace positions of the markers around its write:
/// <see cref="Begin"/> just before the write was issued, <see cref="Ack"/> just after it returned (-1 if it never did).
/// </summary>
internal sealed record WorkloadBatch(int Id, IReadOnlyList<BatchOp> Ops, bool Sync)
{
    public int Begin { get; set; } = -1;

    public int Ack { get; set; } = -1;
}
