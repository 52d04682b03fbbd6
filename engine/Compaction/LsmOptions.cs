namespace LatticeKV.Compaction;

/// <summary>The shape targets of the LSM tree, resolved from <see cref="DbOptions"/>.</summary>
internal sealed record LsmOptions(
    int NumLevels,
    int Level0FileNumCompactionTrigger,
    int Level0SlowdownWritesTrigger,
    int Level0StopWritesTrigger,
    long MaxBytesForLevelBase,
    double MaxBytesForLevelMultiplier,
    long TargetFileSizeBase,
    long MaxCompactionBytes,
    long SoftPendingCompactionBytesLimit,
    long HardPendingCompactionBytesLimit)
{
    public long MaxBytesForLevel(int level)
    {
        double bytes = MaxBytesForLevelBase;
        for (int i = 1; i < level; i++) bytes *= MaxBytesForLevelMultiplier;
        return (long)Math.Min(bytes, long.MaxValue / 2);
    }

    /// <summary>Compaction outputs are cut when they overlap this much of the level below them.</summary>
    public long MaxGrandparentOverlapBytes => TargetFileSizeBase * 10;
}
