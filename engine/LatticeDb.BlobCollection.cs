using LatticeKV.Compaction;
using LatticeKV.Db;
using LatticeKV.Keys;
using LatticeKV.Manifest;

namespace LatticeKV;

// Blob garbage collection while compaction is idle (README "Blob files"): a compaction reclaims
// blob garbage only as it passes the tables that refer to it, so once writes stop, a blob file
// whose garbage passed the family's BlobGarbageCollectionRatio would stay as it is. The
// compaction thread, finding nothing else to do, rewrites one such table at a time (as RocksDB's
// blob_garbage_collection_force_threshold does), which copies the live values out and lets the
// file go. Which table refers to which blob file is known from the job that wrote it; for tables
// recovered at open, the thread first reads them, a bounded number of bytes per round.
public sealed partial class LatticeDb
{
    /// <summary>Table bytes read per round to learn which blob files recovered tables refer to; a round yields to other compactions.</summary>
    private const long BlobReferenceLearningBytes = 64L << 20;

    /// <summary>
    /// A compaction rewriting a table of some family that refers to one of its blob files due for
    /// garbage collection; or null, with <paramref name="learn"/> naming a family with such files
    /// whose tables must be read first (<see cref="LearnBlobReferences"/>), or nothing to do.
    /// Caller holds _mutex.
    /// </summary>
    private CompactionPlan? PickBlobCollection(out ColumnFamilyData? family, out ColumnFamilyData? learn)
    {
        family = learn = null;
        foreach (var cfd in _columnFamilies.Values)
        {
            if (cfd.Dropped) continue;
            var v = cfd.State.Current;
            if (DueBlobFiles(cfd, v) is not { } due) continue;
            for (int level = 0; level < v.NumLevels; level++)
            {
                foreach (var f in v.Files(level))
                {
                    if (f.BeingCompacted) continue;
                    if (f.BlobFileNumbers is not { } refs)
                    {
                        learn ??= cfd;
                        continue;
                    }
                    if (!refs.Any(due.Contains)) continue;
                    // Level 0 tables may overlap: they go down with the others they overlap. Below, the table is rewritten in place.
                    var c = _picker.PickManual(cfd.Id, v, level, level == 0 ? 1 : level, f.SmallestUserKey.ToArray(), f.LargestUserKey.ToArray(), out bool busy);
                    if (c is null || busy) continue;
                    c.ForceRewrite = true;
                    family = cfd;
                    learn = null;
                    return c;
                }
            }
        }
        return null;
    }

    /// <summary>
    /// Whether idle garbage collection still has work: a table that refers to a due blob file, or
    /// one not yet read in a family with due files. Caller holds _mutex.
    /// </summary>
    private bool BlobCollectionPending()
    {
        foreach (var cfd in _columnFamilies.Values)
        {
            if (cfd.Dropped) continue;
            var v = cfd.State.Current;
            if (DueBlobFiles(cfd, v) is { } due && v.AllFiles.Any(f => f.BlobFileNumbers is not { } refs || refs.Any(due.Contains))) return true;
        }
        return false;
    }

    /// <summary>
    /// The blob files of <paramref name="v"/> a compaction of <paramref name="cfd"/> would copy
    /// live values out of (their garbage reached the family's ratio, or they are sealed under
    /// another key than the family's once no table is: see <see cref="StaleKeyBlobFiles"/>);
    /// null when none, or when the family's jobs write no blob files (their references then stay
    /// where they are).
    /// </summary>
    private IReadOnlySet<long>? DueBlobFiles(ColumnFamilyData cfd, LsmVersion v)
    {
        if (v.BlobFiles.Count == 0) return null;
        var stale = StaleKeyBlobFiles(cfd, v);
        if (stale is null && !HasBlobGarbageToCollect(cfd, v)) return null;
        var relocate = BlobSeparationFor(cfd, v)?.Relocate;
        if (stale is null) return relocate;
        if (relocate is not null) stale.UnionWith(relocate);
        return stale;
    }

    /// <summary>
    /// Blob files of <paramref name="v"/> sealed under another key than <paramref name="cfd"/>'s
    /// current one while every table already is; null when there are none or background
    /// re-encryption is off. Re-encryption rewrites tables with an old key (paced), and each
    /// rewrite moves the values they refer to; but a table rewritten with the current key that
    /// kept its references (repair does that) leaves its blob files under the old key, which
    /// would then never be destroyed. Those are collected as garbage is, when the thread is idle.
    /// </summary>
    private HashSet<long>? StaleKeyBlobFiles(ColumnFamilyData cfd, LsmVersion v)
    {
        if (_keys is null || _reencryption is not { BytesPerSecond: > 0 }) return null;
        uint desired = cfd.DesiredKeyId;
        HashSet<long>? stale = null;
        foreach (var b in v.BlobFiles.Values)
            if (b.KeyId != desired) (stale ??= []).Add(b.Number);
        return stale is null || v.AllFiles.Any(f => f.KeyId != desired) ? null : stale;
    }

    /// <summary>
    /// Reads tables of <paramref name="cfd"/> whose blob files are not known (recovered at open),
    /// about <see cref="BlobReferenceLearningBytes"/> of them, noting the blob files each refers to.
    /// Runs on the compaction thread without _mutex; the super version keeps the tables alive.
    /// </summary>
    private void LearnBlobReferences(ColumnFamilyData cfd, CancellationToken cancel)
    {
        var sv = cfd.AcquireSuperVersion();
        try
        {
            long budget = BlobReferenceLearningBytes;
            foreach (var f in sv.Version.AllFiles)
            {
                if (f.BlobFileNumbers is not null) continue;
                f.BlobFileNumbers = ReadBlobFileNumbers(f, cancel);
                budget -= f.FileSize;
                if (budget <= 0) return;
            }
        }
        finally
        {
            sv.Release();
        }
    }

    /// <summary>The blob files table <paramref name="file"/> refers to, ascending, read from its entries (not from the block cache).</summary>
    private long[] ReadBlobFileNumbers(FileMetaData file, CancellationToken cancel)
    {
        var numbers = new HashSet<long>();
        using var lease = _tableCache.Acquire(file.Number);
        using var it = lease.Reader.NewIterator(fillCache: false, resolveBlobs: false);
        int n = 0;
        for (it.SeekToFirst(); it.Valid; it.Next())
        {
            if ((++n & 1023) == 0) cancel.ThrowIfCancellationRequested();
            var key = it.Key;
            if (key.Length >= InternalKey.TrailerSize && InternalKey.Kind(key) == ValueKind.BlobIndex)
                numbers.Add(Blob.BlobReference.Decode(it.Value).FileNumber);
        }
        return [.. numbers.Order()];
    }
}
