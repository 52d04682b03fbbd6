namespace LatticeKV.Db;

/// <summary>
/// Where a stage-1 step runs among the others (see <see cref="WritePath"/>), whatever the order
/// features are turned on in: validation judges the values the caller wrote (before anything is
/// added or sealed); foreign keys then check children and add cascaded deletes (so the later
/// stages record and index those deletes too); values are sealed before the replication log
/// copies them (so the log holds what the data holds); change records are added before index
/// entries (whose commit check keeps a reference to the batch the index stage built, which no
/// later stage may copy).
/// </summary>
internal enum WriteStageOrder
{
    Validation = 0,
    ForeignKeys = 1,
    ScopeSealing = 2,
    Replication = 3,
    Indexing = 4,
}
