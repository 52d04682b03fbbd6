namespace LatticeKV.Crypto;

/// <summary>Which block of a table is sealed; bound into its associated data. Persistent format: do not renumber.</summary>
internal enum BlockKind : byte
{
    Data = 1,
    Index = 2,
    MetaIndex = 3,
    Filter = 4,
    Properties = 5,
    RangeDeletions = 6,
    /// <summary>A record of a sealed blob file (FORMAT.md §21.7).</summary>
    BlobRecord = 7,
}
