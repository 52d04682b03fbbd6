using LatticeKV.Keys;

namespace LatticeKV.Manifest;

/// <summary>
/// Applies a sequence of <see cref="VersionEdit"/>s to a base version and produces the next
/// one, checking the invariants a reader relies on (no duplicate files, sorted
/// non-overlapping levels above 0).
/// </summary>
internal sealed class VersionBuilder
{
    private readonly InternalKeyComparator _cmp;
    private readonly List<Dictionary<long, FileMetaData>> _levels;
    private readonly Dictionary<long, Blob.BlobFileMetaData> _blobs = [];

    public VersionBuilder(InternalKeyComparator cmp, LsmVersion? baseVersion, int numLevels)
    {
        _cmp = cmp;
        _levels = new List<Dictionary<long, FileMetaData>>(numLevels);
        for (int level = 0; level < numLevels; level++)
        {
            var map = new Dictionary<long, FileMetaData>();
            if (baseVersion is not null && level < baseVersion.NumLevels)
                foreach (var f in baseVersion.Files(level)) map[f.Number] = f;
            _levels.Add(map);
        }
        if (baseVersion is not null)
            foreach (var (number, b) in baseVersion.BlobFiles) _blobs[number] = b;
    }

    public void Apply(VersionEdit edit)
    {
        foreach (var (level, number) in edit.DeletedFiles)
        {
            if (!_levels[level].Remove(number))
                throw new CorruptionException($"MANIFEST deletes file {number} at level {level}, which the version does not hold");
        }
        foreach (var (level, file) in edit.NewFiles)
        {
            foreach (var map in _levels)
                if (map.ContainsKey(file.Number)) throw new CorruptionException($"MANIFEST adds file {file.Number} twice");
            _levels[level][file.Number] = file;
        }
        foreach (var b in edit.NewBlobFiles)
        {
            if (b.TotalCount <= 0 || b.TotalBytes <= 0) throw new CorruptionException($"MANIFEST adds blob file {b.Number} with no records");
            if (!_blobs.TryAdd(b.Number, b)) throw new CorruptionException($"MANIFEST adds blob file {b.Number} twice");
        }
        foreach (var (number, count, bytes) in edit.BlobGarbage)
        {
            if (!_blobs.TryGetValue(number, out var b))
                throw new CorruptionException($"MANIFEST records garbage in blob file {number}, which the version does not hold");
            b = b with { GarbageCount = b.GarbageCount + count, GarbageBytes = b.GarbageBytes + bytes };
            if (b.GarbageCount > b.TotalCount || b.GarbageBytes > b.TotalBytes)
                throw new CorruptionException($"MANIFEST records more garbage in blob file {number} than it holds");
            // A file no table refers to leaves the version; it is deleted once no older version holds it.
            if (b.IsDead) _blobs.Remove(number);
            else _blobs[number] = b;
        }
    }

    public LsmVersion Build(Action<LsmVersion>? onLastUnref)
    {
        var files = new FileMetaData[_levels.Count][];
        for (int level = 0; level < _levels.Count; level++)
        {
            var list = _levels[level].Values.ToList();
            if (level == 0)
            {
                list.Sort((a, b) =>
                {
                    int c = b.LargestSequence.CompareTo(a.LargestSequence);
                    return c != 0 ? c : b.Number.CompareTo(a.Number);
                });
            }
            else
            {
                list.Sort((a, b) =>
                {
                    int c = _cmp.Compare(a.Smallest, b.Smallest);
                    return c != 0 ? c : a.Number.CompareTo(b.Number);
                });
                for (int i = 1; i < list.Count; i++)
                {
                    if (_cmp.Compare(list[i - 1].Largest, list[i].Smallest) >= 0)
                        throw new CorruptionException($"files {list[i - 1].Number} and {list[i].Number} overlap at level {level}");
                }
            }
            files[level] = [.. list];
        }
        return new LsmVersion(_cmp, files, onLastUnref, _blobs.Count == 0 ? null : new Dictionary<long, Blob.BlobFileMetaData>(_blobs));
    }
}
