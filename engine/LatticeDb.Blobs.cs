using LatticeKV.Compaction;
using LatticeKV.Db;
using LatticeKV.Manifest;

namespace LatticeKV;

// Values apart from keys (FORMAT.md §21): which jobs write blob files, what their edits record,
// and the blob files' statistics, properties and verification.
public sealed partial class LatticeDb
{
    /// <summary>
    /// How a flush or compaction of <paramref name="cfd"/> over <paramref name="version"/> treats
    /// large values; null when the family keeps them in its tables. An encrypted family's blob
    /// files are sealed like its tables (FORMAT.md §21.7); a scoped family's values are scope-sealed
    /// before they reach a memtable, so its blob records hold them sealed too.
    /// </summary>
    private BlobSeparation? BlobSeparationFor(ColumnFamilyData cfd, LsmVersion version)
    {
        var o = cfd.Options;
        int threshold = o.BlobValueThreshold;
        HashSet<long>? relocate = null;
        if (HasBlobGarbageToCollect(cfd, version))
            foreach (var b in version.BlobFiles.Values)
                if (b.GarbageRatio >= o.BlobGarbageCollectionRatio) (relocate ??= []).Add(b.Number);
        // Blob files sealed with another key than the family's current one (a rotation, encryption
        // turned on or off) are re-encrypted as the tables referring to them are rewritten.
        uint desired = cfd.DesiredKeyId;
        bool otherKey = version.BlobFiles.Values.Any(b => b.KeyId != desired);
        if (threshold == 0 && relocate is null && !otherKey) return null;
        var keys = version.BlobFiles.Values.Any(b => b.KeyId != 0) || otherKey ? version.BlobFiles.ToDictionary(kv => kv.Key, kv => kv.Value.KeyId) : null;
        return new BlobSeparation(threshold, o.LargeValueCompressionLevel, cfd.Id, _blobFiles, relocate, keys);
    }

    /// <summary>Some blob file of <paramref name="version"/> is due for garbage collection (its live values would be rewritten).</summary>
    private static bool HasBlobGarbageToCollect(ColumnFamilyData cfd, LsmVersion version)
    {
        double ratio = cfd.Options.BlobGarbageCollectionRatio;
        return ratio < 1 && version.BlobFiles.Values.Any(b => b.GarbageRatio >= ratio);
    }

    /// <summary>
    /// Records in <paramref name="edit"/> the blob files a job wrote and the garbage it found. An
    /// edit adding a blob file records database format 9 (10 once a sealed one was written), as <see cref="NoteLargeValues"/> does 8.
    /// </summary>
    private void NoteBlobs(VersionEdit edit, CompactionStats stats)
    {
        foreach (var (number, (count, bytes)) in stats.BlobGarbage) edit.BlobGarbage.Add((number, count, bytes));
        if (stats.BlobValuesRelocated > 0)
        {
            Interlocked.Increment(ref _blobGcRuns);
            Interlocked.Add(ref _blobGcBytes, stats.BlobBytesRelocated);
        }
        if (stats.BlobFiles.Count == 0) return;
        edit.NewBlobFiles.AddRange(stats.BlobFiles);
        _versions.BlobsEnabled = true;
        if (stats.BlobFiles.Any(b => b.KeyId != 0)) _versions.SealedBlobsEnabled = true;
        edit.FormatVersion = _versions.WrittenFormatVersion;
        Interlocked.Add(ref _blobBytesWritten, stats.BlobBytesWritten);
        Interlocked.Add(ref _blobValuesWritten, stats.BlobValuesWritten);
    }

    /// <summary>
    /// Makes <paramref name="edit"/> count every remaining record of the blob files of
    /// <paramref name="version"/> that <paramref name="drop"/> selects as garbage, so they leave the
    /// version (a shredded family's files, whose key is gone, and no table refers to any more).
    /// </summary>
    private static void DropBlobFiles(VersionEdit edit, LsmVersion version, Func<Blob.BlobFileMetaData, bool> drop)
    {
        foreach (var b in version.BlobFiles.Values)
            if (drop(b)) edit.BlobGarbage.Add((b.Number, b.TotalCount - b.GarbageCount, b.TotalBytes - b.GarbageBytes));
    }

    private void AddBlobStatistics(IDictionary<string, long> stats)
    {
        stats["blob.values.written"] = Interlocked.Read(ref _blobValuesWritten);
        stats["blob.bytes.written"] = Interlocked.Read(ref _blobBytesWritten);
        stats["blob.values.read"] = Interlocked.Read(ref _blobFiles.ValuesRead);
        stats["blob.bytes.read"] = Interlocked.Read(ref _blobFiles.BytesRead);
        stats["blob.record-bytes.read"] = Interlocked.Read(ref _blobFiles.RecordBytesRead);
        stats["blob.gc.runs"] = Interlocked.Read(ref _blobGcRuns);
        stats["blob.gc.bytes-rewritten"] = Interlocked.Read(ref _blobGcBytes);
        stats["blob.cache.hits"] = _tableCache.Options.BlobValues?.Hits ?? 0;
        stats["blob.cache.misses"] = _tableCache.Options.BlobValues?.Misses ?? 0;
    }

    /// <summary>The blob properties of <see cref="GetProperty(ColumnFamilyHandle, string)"/>; null for another name.</summary>
    private static string? BlobProperty(LsmVersion v, string name) => name switch
    {
        "lattice.blob.num-files" => Str(v.BlobFiles.Count),
        "lattice.blob.total-size" => Str(v.BlobFiles.Values.Sum(b => b.FileSize)),
        "lattice.blob.live-size" => Str(v.BlobFiles.Values.Sum(b => b.TotalBytes - b.GarbageBytes)),
        "lattice.blob.garbage-size" => Str(v.BlobFiles.Values.Sum(b => b.GarbageBytes)),
        _ => null,
    };

    /// <summary>Every blob file the MANIFEST lists must exist with its recorded size (a blob file is never appended to after it is named).</summary>
    private void CheckBlobFilesPresent(IReadOnlyList<string> names)
    {
        var present = new HashSet<long>();
        foreach (var n in names)
            if (Io.FileNames.Parse(n, out long num) == Io.DbFileKind.Blob) present.Add(num);
        foreach (var b in _columnFamilies.Values.SelectMany(c => c.State.Current.BlobFiles.Values))
        {
            string path = Io.FileNames.Blob(_path, b.Number);
            if (!present.Contains(b.Number)) throw new CorruptionException("blob file listed in the MANIFEST is missing", path);
            long size = _fs.GetFileSize(path);
            if (size != b.FileSize) throw new CorruptionException($"blob file is {size} bytes but the MANIFEST records {b.FileSize}", path);
        }
    }

    /// <summary>Reads every record of the blob files of <paramref name="versions"/> (held by the caller), checking each.</summary>
    private void VerifyBlobFiles(IEnumerable<LsmVersion> versions, List<CorruptionException> problems, bool stopAtFirst)
    {
        foreach (var b in versions.SelectMany(v => v.BlobFiles.Values).DistinctBy(b => b.Number))
        {
            var path = Io.FileNames.Blob(_path, b.Number);
            try
            {
                var reader = _blobFiles.Get(b.Number);
                long count = reader.VerifyAll();
                if (count != b.TotalCount) throw new CorruptionException($"blob file holds {count} records, the MANIFEST says {b.TotalCount}", path);
            }
            catch (CorruptionException ex)
            {
                problems.Add(ex.FilePath is null ? ex.At(path) : ex);
                if (stopAtFirst) return;
            }
        }
    }
}
