using LatticeKV.Compaction;
using LatticeKV.Manifest;

namespace LatticeKV;

public sealed partial class LatticeDb
{
    /// <summary>
    /// An edit adding tables with zstd blocks records database format 8 (FORMAT.md §19), so an
    /// older build refuses the database instead of failing on its first zstd block. Every such
    /// edit records it, not only the first: concurrent jobs may reach the MANIFEST in either order.
    /// </summary>
    private void NoteLargeValues(VersionEdit edit, CompactionStats stats)
    {
        if (stats.ZstdBlocks == 0) return;
        _versions.LargeValuesEnabled = true;
        edit.FormatVersion = _versions.WrittenFormatVersion;
    }
}
