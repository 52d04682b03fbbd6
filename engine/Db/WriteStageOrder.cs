namespace LatticeKV.Db;

/// <summary>
/// Where a stage-1 step runs among the others (see <see cref="WritePath"/>), whatever the order
/// features are turned on in: values are sealed before the replication log copies them (so the
/// log holds what the data holds), and change records are added before index entries (whose
/// commit check keeps a reference to the batch the index stage built, which no later stage may
/// copy).
/// </summary>
internal enum WriteStageOrder
{
    ScopeSealing = 0,
    Replication = 1,
    Indexing = 2,
}
