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
}
