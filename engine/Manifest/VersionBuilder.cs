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
        return new LsmVersion(_cmp, files, onLastUnref);
    }
}
