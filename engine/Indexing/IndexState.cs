namespace LatticeKV;

/// <summary>Where an index is in its life. Stored with its definition: do not renumber.</summary>
public enum IndexState
{
    /// <summary>New writes maintain it and a background backfill is indexing the existing data; queries are refused.</summary>
    Building = 1,

    /// <summary>Complete: queries and searches are answered.</summary>
    Ready = 2,

    /// <summary>Being dropped (a drop interrupted by a crash finishes at the next open).</summary>
    Dropping = 3,

    /// <summary>The backfill found existing data breaking the unique constraint; drop the index.</summary>
    Failed = 4,
}
