namespace LatticeKV;

/// <summary>
/// Per-block compression of sorted tables. Stored in every block trailer.
/// Persistent format: do not renumber.
/// </summary>
public enum CompressionType : byte
{
    /// <summary>Blocks are stored as built.</summary>
    None = 0,

    /// <summary>Snappy (Snappier), kept only when it saves at least 12.5% of the block.</summary>
    Snappy = 1,

    /// <summary>
    /// Zstandard (ZstdSharp, level <see cref="ColumnFamilyOptions.LargeValueCompressionLevel"/>), kept only
    /// when it saves at least 12.5% of the block: slower than Snappy, and smaller. Whatever the family's
    /// setting, a data block holding a value of <see cref="ColumnFamilyOptions.LargeValueCompressionThreshold"/>
    /// bytes or more is written with it. A database whose tables hold such blocks records database
    /// format 8 (FORMAT.md §19).
    /// </summary>
    Zstd = 2,
}
