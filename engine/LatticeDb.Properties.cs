using System.Globalization;
using System.Text;

namespace LatticeKV;

// Introspection: counters and named properties, as RocksDB's GetProperty.
public sealed partial class LatticeDb
{
    /// <summary>
    /// Engine counters since open: writes, write groups and WAL syncs (their ratio shows group
    /// commit at work), gets, flushes, compactions and their bytes, stalls, background errors.
    /// </summary>
    public IReadOnlyDictionary<string, long> GetStatistics()
    {
        ThrowIfClosed();
        var stats = new SortedDictionary<string, long>(_stats.Snapshot().ToDictionary(), StringComparer.Ordinal)
        {
            ["block.cache.hits"] = _blockCache.Hits,
            ["block.cache.misses"] = _blockCache.Misses,
            ["block.cache.usage"] = _blockCache.Usage,
            ["block.cache.pinned"] = _blockCache.PinnedUsage,
            ["block.cache.capacity"] = _blockCache.Capacity,
            ["block.cache.compressed.capacity"] = _cacheTiers.Compressed.Capacity,
            ["block.cache.compressed.usage"] = _cacheTiers.Compressed.Usage,
            ["block.cache.compressed.hits"] = _cacheTiers.CompressedHits,
            ["block.cache.compressed.promotions"] = _cacheTiers.Promotions.Granted,
            ["table.cache.open"] = _tableCache.OpenCount,
        };
        AddAnticipationStatistics(stats);
        AddBlobStatistics(stats);
        return stats;
    }

    /// <summary>
    /// Reads every block of every table of every column family and the live MANIFEST, checking
    /// checksums, entry order and entry counts, while the database stays open. Throws
    /// <see cref="CorruptionException"/> naming the first damaged file.
    /// </summary>
    public void VerifyChecksums()
    {
        var problems = VerifyAllFiles(stopAtFirst: true, progress: null);
        if (problems.Count > 0) throw problems[0];
    }

    /// <summary>Verifies tables and the MANIFEST, collecting every problem (for <c>lkv verify</c>).</summary>
    internal List<CorruptionException> VerifyAllFiles(bool stopAtFirst, Action<string, int, int>? progress)
    {
        ThrowIfClosed();
        var problems = new List<CorruptionException>();
        try { _versions.VerifyManifest(); }
        catch (CorruptionException ex) { problems.Add(ex); }
        if (stopAtFirst && problems.Count > 0) return problems;
        var files = new List<(Db.ColumnFamilyData Cf, LatticeKV.Manifest.FileMetaData File)>();
        var held = new List<Db.SuperVersion>();
        try
        {
            foreach (var cfd in _columnFamilies.Values.Where(c => !c.Dropped))
            {
                var sv = cfd.AcquireSuperVersion(); // keeps the files alive while they are read
                held.Add(sv);
                foreach (var f in sv.Version.AllFiles) files.Add((cfd, f));
            }
            VerifyBlobFiles(held.Select(sv => sv.Version), problems, stopAtFirst);
            if (stopAtFirst && problems.Count > 0) return problems;
            for (int i = 0; i < files.Count; i++)
            {
                var path = Io.FileNames.Table(_path, files[i].File.Number);
                progress?.Invoke(path, i, files.Count);
                try
                {
                    using var lease = _tableCache.Acquire(files[i].File.Number);
                    lease.Reader.VerifyAll();
                }
                catch (CorruptionException ex)
                {
                    problems.Add(ex.FilePath is null ? ex.At(path) : ex);
                    if (stopAtFirst) break;
                }
            }
        }
        finally
        {
            foreach (var sv in held) sv.Release();
        }
        return problems;
    }

    /// <summary>
    /// A named property of the default column family, or null for an unknown name. Names:
    /// <c>lattice.num-files-at-level&lt;N&gt;</c>, <c>lattice.level-bytes-at-level&lt;N&gt;</c>,
    /// <c>lattice.num-levels</c>, <c>lattice.total-sst-files-size</c>, <c>lattice.cur-size-active-mem-table</c>,
    /// <c>lattice.cur-size-all-mem-tables</c>, <c>lattice.num-immutable-mem-table</c>,
    /// <c>lattice.estimate-num-keys</c>, <c>lattice.estimate-pending-compaction-bytes</c>,
    /// <c>lattice.num-snapshots</c>, <c>lattice.background-error</c>, <c>lattice.levelstats</c>,
    /// <c>lattice.encryption.bytes-per-generation</c> (live table bytes by key generation, "plaintext=N gen1=N ..."),
    /// <c>lattice.encryption.key-generation</c> (the generation new tables are sealed with; 0 = plaintext),
    /// <c>lattice.backup.healed-tables</c> (tables replaced from <see cref="DbOptions.RecoverFromBackup"/> since open),
    /// <c>lattice.backup.healings</c> (one line per healing attempt: time, file, healed or not, detail),
    /// <c>lattice.blob.num-files</c>, <c>lattice.blob.total-size</c>, <c>lattice.blob.live-size</c>, <c>lattice.blob.garbage-size</c> (blob files, FORMAT.md §21),
    /// <c>lattice.backup.stats</c> (automatic backups: the last one, counters, the last error; empty without <see cref="DbOptions.AutoBackup"/>).
    /// </summary>
    public string? GetProperty(string name) => GetProperty(DefaultColumnFamily, name);

    /// <summary>A named property of <paramref name="columnFamily"/>; see <see cref="GetProperty(string)"/>.</summary>
    public string? GetProperty(ColumnFamilyHandle columnFamily, string name)
    {
        CheckHandle(columnFamily);
        ArgumentNullException.ThrowIfNull(name);
        var cfd = columnFamily.Data;
        var sv = cfd.AcquireSuperVersion();
        try
        {
            var v = sv.Version;
            const string filesAt = "lattice.num-files-at-level";
            const string bytesAt = "lattice.level-bytes-at-level";
            if (name.StartsWith(filesAt, StringComparison.Ordinal) && TryLevel(name[filesAt.Length..], v.NumLevels, out int l1))
                return Str(v.NumFiles(l1));
            if (name.StartsWith(bytesAt, StringComparison.Ordinal) && TryLevel(name[bytesAt.Length..], v.NumLevels, out int l2))
                return Str(v.LevelBytes(l2));
            switch (name)
            {
                case "lattice.num-levels": return Str(v.NumLevels);
                case "lattice.blob.num-files" or "lattice.blob.total-size" or "lattice.blob.live-size" or "lattice.blob.garbage-size": return BlobProperty(v, name);
                case "lattice.total-sst-files-size": return Str(v.TotalBytes);
                case "lattice.cur-size-active-mem-table": return Str(sv.Mem.ApproximateMemoryUsage);
                case "lattice.cur-size-all-mem-tables": return Str(sv.Mem.ApproximateMemoryUsage + sv.Imm.Sum(m => m.ApproximateMemoryUsage));
                case "lattice.num-immutable-mem-table": return Str(sv.Imm.Length);
                case "lattice.estimate-num-keys":
                    return Str(sv.Mem.EntryCount + sv.Imm.Sum(m => (long)m.EntryCount) + v.AllFiles.Sum(f => f.NumEntries - 2 * f.NumDeletions));
                case "lattice.estimate-pending-compaction-bytes": return Str(_picker.EstimatePendingBytes(v));
                case "lattice.num-snapshots": return Str(_snapshots.Count);
                case "lattice.background-error":
                    lock (_mutex) return _backgroundError?.Message ?? "";
                case "lattice.encryption.bytes-per-generation": return BytesPerGeneration(cfd, v);
                case "lattice.encryption.key-generation": return Str(KeyGeneration(cfd));
                case "lattice.backup.healed-tables": return Str(_stats.TablesHealed);
                case "lattice.backup.healings":
                    return string.Concat(GetTableHealings().Select(h => string.Create(CultureInfo.InvariantCulture,
                        $"{h.Time:O} {h.FilePath} {(h.Healed ? "healed" : "not-healed")}: {h.Detail}\n")));
                case "lattice.backup.stats": return AutoBackupStats();
                case "lattice.levelstats":
                    var sb = new StringBuilder("Level Files Size(bytes)\n");
                    for (int level = 0; level < v.NumLevels; level++)
                        sb.Append(CultureInfo.InvariantCulture, $"{level,5} {v.NumFiles(level),5} {v.LevelBytes(level)}\n");
                    return sb.ToString();
                default: return null;
            }
        }
        finally
        {
            sv.Release();
        }
    }

    /// <summary>
    /// The attempts to heal a damaged or missing table from <see cref="DbOptions.RecoverFromBackup"/>
    /// since open (the most recent few hundred), oldest first. Empty without a backup to heal from.
    /// </summary>
    public IReadOnlyList<TableHealing> GetTableHealings()
    {
        ThrowIfClosed();
        return _healing?.History ?? [];
    }

    private static bool TryLevel(string s, int levels, out int level)
        => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out level) && level < levels;

    private static string Str(long v) => v.ToString(CultureInfo.InvariantCulture);
}
