using System.Globalization;
using System.Text;
using LatticeKV.Coding;
using LatticeKV.Io;

namespace LatticeKV.Db;

/// <summary>
/// Writes OPTIONS-NNNNNN at every open: the options in effect, as text, for people and tools
/// (FORMAT.md, "OPTIONS"). Informational only: what must survive (comparator, column family
/// options) is enforced from the MANIFEST, never read back from here.
/// </summary>
internal static class OptionsFile
{
    public static void Write(IFileSystem fs, string db, long number, DbOptions options, IEnumerable<ColumnFamilyData> columnFamilies, uint formatVersion)
    {
        var sb = new StringBuilder();
        sb.Append("# LatticeKV options in effect when the database was opened. Informational:\n");
        sb.Append("# the MANIFEST holds what is enforced.\n");
        sb.Append("[db]\n");
        Line(sb, "format_version", formatVersion);
        Line(sb, "comparator", options.Comparator.Name);
        Line(sb, "write_buffer_size", options.WriteBufferSize);
        Line(sb, "max_write_buffer_number", options.MaxWriteBufferNumber);
        Line(sb, "wal_recovery_mode", options.WalRecoveryMode);
        Line(sb, "paranoid_checks", options.ParanoidChecks);
        Line(sb, "block_cache_capacity", options.BlockCacheCapacity);
        Line(sb, "max_open_files", options.MaxOpenFiles);
        Line(sb, "num_levels", options.NumLevels);
        Line(sb, "level0_file_num_compaction_trigger", options.Level0FileNumCompactionTrigger);
        Line(sb, "level0_slowdown_writes_trigger", options.Level0SlowdownWritesTrigger);
        Line(sb, "level0_stop_writes_trigger", options.Level0StopWritesTrigger);
        Line(sb, "max_bytes_for_level_base", options.MaxBytesForLevelBase);
        Line(sb, "max_bytes_for_level_multiplier", options.MaxBytesForLevelMultiplier);
        Line(sb, "target_file_size_base", options.TargetFileSizeBase);
        Line(sb, "soft_pending_compaction_bytes_limit", options.SoftPendingCompactionBytesLimit);
        Line(sb, "hard_pending_compaction_bytes_limit", options.HardPendingCompactionBytesLimit);
        Line(sb, "max_background_compactions", options.MaxBackgroundCompactions);
        Line(sb, "compaction_thread_nice", options.CompactionThreadNice);
        Line(sb, "gather_synced_writers", options.GatherSyncedWriters);
        Line(sb, "max_total_wal_size", options.MaxTotalWalSize);
        Line(sb, "max_manifest_file_size", options.MaxManifestFileSize);
        // Where the master key comes from, never a secret.
        if (options.Encryption is { } encryption) Line(sb, "encryption", encryption.ToString());
        foreach (var cf in columnFamilies.OrderBy(c => c.Id))
        {
            sb.Append(CultureInfo.InvariantCulture, $"\n[column_family \"{cf.Name}\"]\n");
            Line(sb, "id", cf.Id);
            sb.Append(Utf8.GetString(ColumnFamilyOptionsCodec.Encode(cf.Options)));
        }
        string path = FileNames.Options(db, number);
        fs.WriteAllBytesSynced(path, Utf8.GetBytes(sb.ToString()));
    }

    private static void Line(StringBuilder sb, string name, object value)
        => sb.Append(name).Append('=').Append(Convert.ToString(value, CultureInfo.InvariantCulture)).Append('\n');
}
