using LatticeKV.Manifest;

namespace LatticeKV.Compaction;

/// <summary>
/// One unit of compaction work: files from <see cref="Level"/> (and overlapping ones from
/// <see cref="OutputLevel"/>) merged into new files at <see cref="OutputLevel"/>. Created by
/// <see cref="CompactionPicker"/> under the database mutex, which also marks the inputs as
/// being compacted.
/// </summary>
internal sealed class CompactionPlan
{
    private readonly int[] _levelPointers;

    public CompactionPlan(uint columnFamilyId, LsmVersion version, int level, int outputLevel, List<FileMetaData> inputs, List<FileMetaData> outputLevelInputs,
        List<FileMetaData> grandparents, LsmOptions options, string reason)
    {
        ColumnFamilyId = columnFamilyId;
        InputVersion = version;
        Level = level;
        OutputLevel = outputLevel;
        Inputs = inputs;
        OutputLevelInputs = outputLevelInputs;
        Grandparents = grandparents;
        Options = options;
        Reason = reason;
        _levelPointers = new int[version.NumLevels];
        var cmp = version.Comparator;
        foreach (var f in AllInputs)
        {
            if (SmallestUserKey is null || cmp.CompareUser(f.SmallestUserKey, SmallestUserKey) < 0) SmallestUserKey = f.SmallestUserKey.ToArray();
            if (LargestUserKey is null || cmp.CompareUser(f.LargestUserKey, LargestUserKey) > 0) LargestUserKey = f.LargestUserKey.ToArray();
        }
        BottomMost = true;
        for (int l = outputLevel + 1; l < version.NumLevels; l++)
            if (version.OverlapInLevel(l, SmallestUserKey, LargestUserKey)) BottomMost = false;
    }

    public uint ColumnFamilyId { get; }
    public LsmVersion InputVersion { get; }
    public int Level { get; }
    public int OutputLevel { get; }
    public List<FileMetaData> Inputs { get; }
    public List<FileMetaData> OutputLevelInputs { get; }
    public List<FileMetaData> Grandparents { get; }
    public LsmOptions Options { get; }
    public string Reason { get; }
    public byte[]? SmallestUserKey { get; }
    public byte[]? LargestUserKey { get; }

    /// <summary>No level below the output holds keys in this compaction's range.</summary>
    public bool BottomMost { get; }

    public IEnumerable<FileMetaData> AllInputs => Inputs.Concat(OutputLevelInputs);

    public long InputBytes => AllInputs.Sum(f => f.FileSize);

    /// <summary>Every input must be rewritten (re-encryption under a new key): never a trivial move.</summary>
    public bool ForceRewrite { get; set; }

    /// <summary>One input file, nothing to merge with, little grandparent overlap: just move it.</summary>
    public bool IsTrivialMove =>
        !ForceRewrite && Level != OutputLevel && Inputs.Count == 1 && OutputLevelInputs.Count == 0 && Inputs[0].NumRangeDeletions == 0
        && Grandparents.Sum(f => f.FileSize) <= Options.MaxGrandparentOverlapBytes;

    public long MaxOutputFileSize => Options.TargetFileSizeBase;

    public void MarkBeingCompacted(bool value)
    {
        foreach (var f in AllInputs) f.BeingCompacted = value;
    }

    /// <summary>
    /// True when no level below the output holds <paramref name="userKey"/>, so a tombstone for
    /// it has nothing left to hide. Keys must be asked in ascending order.
    /// </summary>
    public bool IsBaseLevelForKey(ReadOnlySpan<byte> userKey)
    {
        var cmp = InputVersion.Comparator;
        for (int level = OutputLevel + 1; level < InputVersion.NumLevels; level++)
        {
            var files = InputVersion.Files(level);
            while (_levelPointers[level] < files.Count)
            {
                var f = files[_levelPointers[level]];
                int c = cmp.CompareUser(userKey, f.LargestUserKey);
                if (c < 0 || (c == 0 && !f.LargestIsExclusive))
                {
                    if (cmp.CompareUser(userKey, f.SmallestUserKey) >= 0) return false;
                    break;
                }
                _levelPointers[level]++;
            }
        }
        return true;
    }

    public override string ToString()
        => $"L{Level}->L{OutputLevel} ({Reason}): {Inputs.Count}+{OutputLevelInputs.Count} files, {InputBytes} bytes";
}
