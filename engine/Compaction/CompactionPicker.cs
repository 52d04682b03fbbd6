using LatticeKV.Manifest;

namespace LatticeKV.Compaction;

/// <summary>
/// Leveled compaction policy. Level 0 is scored by file count against its trigger (and by its
/// size once it holds tombstones); level n by its compensated size (tombstones weighed by the
/// values they delete) against <c>MaxBytesForLevelBase × multiplier^(n-1)</c>. The level with the highest
/// score of at least 1 is compacted. Within a level the file whose overlap with the next
/// level is smallest relative to its own (compensated) size is chosen, which minimises write
/// amplification (RocksDB's kMinOverlappingRatio). Runs under the database mutex.
/// </summary>
internal sealed class CompactionPicker(LsmOptions options)
{
    public LsmOptions Options { get; } = options;

    /// <summary>Scores per level (the last level has none); a score of 1 or more needs compaction.</summary>
    public double[] Scores(LsmVersion v)
    {
        var scores = new double[v.NumLevels - 1];
        double averageValue = AverageValueSize(v);
        int l0Files = 0;
        long l0Bytes = 0, l0Compensated = 0;
        foreach (var f in v.Files(0))
        {
            if (f.BeingCompacted) continue;
            l0Files++;
            l0Bytes += f.FileSize;
            l0Compensated += f.CompensatedSize(averageValue);
        }
        scores[0] = Math.Max((double)l0Files / Options.Level0FileNumCompactionTrigger,
            l0Files >= Options.Level0FileNumCompactionTrigger ? (double)l0Bytes / Options.MaxBytesForLevelBase : 0);
        // Level-0 files of tombstones (a mass delete's last flushes) shadow data below them while
        // they wait for the file-count trigger: weighed by what they delete, they go down sooner.
        if (l0Compensated > l0Bytes) scores[0] = Math.Max(scores[0], (double)l0Compensated / Options.MaxBytesForLevelBase);
        for (int level = 1; level < v.NumLevels - 1; level++)
        {
            long bytes = 0;
            foreach (var f in v.Files(level))
                if (!f.BeingCompacted) bytes += f.CompensatedSize(averageValue);
            scores[level] = (double)bytes / Options.MaxBytesForLevel(level);
        }
        return scores;
    }

    public bool NeedsCompaction(LsmVersion v) => Scores(v).Any(s => s >= 1);

    /// <summary>The average size of the values the version's tables hold (tombstones excluded); what a tombstone is weighed by.</summary>
    internal static double AverageValueSize(LsmVersion v)
    {
        long values = 0, puts = 0;
        foreach (var f in v.AllFiles)
        {
            values += f.RawValueSize;
            puts += Math.Max(0, f.NumEntries - f.NumDeletions);
        }
        return puts > 0 ? (double)values / puts : 0;
    }

    /// <summary><see cref="EstimatePendingBytes"/>, computed once per version (the write path asks on every write).</summary>
    public long PendingBytes(LsmVersion v)
    {
        long cached = Volatile.Read(ref v.CachedPendingCompactionBytes);
        if (cached >= 0) return cached;
        long computed = EstimatePendingBytes(v);
        Volatile.Write(ref v.CachedPendingCompactionBytes, computed);
        return computed;
    }

    /// <summary>Estimated bytes compaction must still rewrite to bring every level within target.</summary>
    public long EstimatePendingBytes(LsmVersion v)
    {
        long pending = 0;
        if (v.NumFiles(0) >= Options.Level0FileNumCompactionTrigger) pending += v.LevelBytes(0) + v.LevelBytes(1);
        for (int level = 1; level < v.NumLevels - 1; level++)
        {
            long excess = v.LevelBytes(level) - Options.MaxBytesForLevel(level);
            if (excess > 0) pending += (long)(excess * (Options.MaxBytesForLevelMultiplier + 1));
        }
        return pending;
    }

    /// <summary>Picks the most urgent compaction and marks its inputs, or returns null.</summary>
    public CompactionPlan? Pick(uint cfId, LsmVersion v)
    {
        var scores = Scores(v);
        var order = Enumerable.Range(0, scores.Length).Where(l => scores[l] >= 1).OrderByDescending(l => scores[l]);
        foreach (int level in order)
        {
            var c = level == 0 ? PickLevel0(cfId, v) : PickLevelN(cfId, v, level);
            if (c is not null)
            {
                c.MarkBeingCompacted(true);
                return c;
            }
        }
        return null;
    }

    private CompactionPlan? PickLevel0(uint cfId, LsmVersion v)
    {
        var l0 = v.Files(0);
        if (l0.Count == 0 || l0.Any(f => f.BeingCompacted)) return null;
        var inputs = l0.ToList();
        return Expand(cfId, v, 0, inputs, "L0 file count");
    }

    private CompactionPlan? PickLevelN(uint cfId, LsmVersion v, int level)
    {
        FileMetaData? best = null;
        double bestRatio = double.MaxValue;
        double averageValue = AverageValueSize(v);
        foreach (var f in v.Files(level))
        {
            if (f.BeingCompacted) continue;
            var overlapping = v.GetOverlappingInputs(level + 1, f.SmallestUserKey.ToArray(), f.LargestUserKey.ToArray());
            if (overlapping.Any(o => o.BeingCompacted)) continue;
            double ratio = overlapping.Sum(o => (double)o.FileSize) / Math.Max(1, f.CompensatedSize(averageValue));
            if (ratio < bestRatio)
            {
                bestRatio = ratio;
                best = f;
            }
        }
        return best is null ? null : Expand(cfId, v, level, [best], $"L{level} size");
    }

    /// <summary>
    /// The idle drain of a family (<c>Db.IdleL0Drain</c>): all of level 0 into level 1 while
    /// level 0 holds fewer tables than its trigger, so reads of a settled tree search no level-0
    /// table. Null when level 0 is empty, at its trigger (the scored pick's business), busy, or
    /// too small for what it overlaps: a drain rewrites the overlapping level-1 tables, and
    /// requiring level 0 to hold at least their bytes over the level multiplier bounds that
    /// rewrite as normal leveled compaction does, so small flushes never rewrite a large level 1
    /// again and again. Null too when the rewrite (level 0 and its level-1 overlap) exceeds
    /// <paramref name="budget"/> bytes (<c>Db.IdleL0Drain</c> amortizes drains over the work
    /// written before them). Marks the inputs when <paramref name="mark"/>.
    /// </summary>
    public CompactionPlan? PickIdleDrain(uint cfId, LsmVersion v, bool mark, long budget = long.MaxValue)
    {
        var l0 = v.Files(0);
        if (l0.Count == 0 || l0.Count >= Options.Level0FileNumCompactionTrigger || l0.Any(f => f.BeingCompacted)) return null;
        var c = Expand(cfId, v, 0, l0.ToList(), "L0 idle drain");
        if (c is null) return null;
        long l0Bytes = c.Inputs.Sum(f => f.FileSize);
        long l1Bytes = c.OutputLevelInputs.Sum(f => f.FileSize);
        if (l0Bytes * (double)Options.MaxBytesForLevelMultiplier < l1Bytes) return null;
        if (l0Bytes + l1Bytes > budget) return null;
        if (mark) c.MarkBeingCompacted(true);
        return c;
    }

    /// <summary>Adds the overlapping files of the next level; null when one of them is busy.</summary>
    private CompactionPlan? Expand(uint cfId, LsmVersion v, int level, List<FileMetaData> inputs, string reason)
    {
        int output = level + 1;
        var (lo, hi) = Range(v, inputs);
        var next = v.GetOverlappingInputs(output, lo, hi);
        if (next.Any(f => f.BeingCompacted)) return null;
        var grandparents = output + 1 < v.NumLevels ? v.GetOverlappingInputs(output + 1, lo, hi) : [];
        return new CompactionPlan(cfId, v, level, output, inputs, next, grandparents, Options, reason);
    }

    /// <summary>
    /// A manual compaction of [begin, end] (null = unbounded) from <paramref name="level"/> into
    /// <paramref name="outputLevel"/> (the next level, or the same one to rewrite the bottom
    /// level in place). Returns null when the range is empty at that level; sets
    /// <paramref name="busy"/> when some input is being compacted (the caller waits and retries).
    /// </summary>
    public CompactionPlan? PickManual(uint cfId, LsmVersion v, int level, int outputLevel, byte[]? begin, byte[]? end, out bool busy)
    {
        busy = false;
        var inputs = v.GetOverlappingInputs(level, begin, end);
        if (inputs.Count == 0) return null;
        if (inputs.Any(f => f.BeingCompacted))
        {
            busy = true;
            return null;
        }
        var (lo, hi) = Range(v, inputs);
        var next = outputLevel == level ? [] : v.GetOverlappingInputs(outputLevel, lo, hi);
        if (next.Any(f => f.BeingCompacted))
        {
            busy = true;
            return null;
        }
        var grandparents = outputLevel + 1 < v.NumLevels ? v.GetOverlappingInputs(outputLevel + 1, lo, hi) : [];
        var c = new CompactionPlan(cfId, v, level, outputLevel, inputs, next, grandparents, Options, "manual");
        c.MarkBeingCompacted(true);
        return c;
    }

    private static (byte[] Lo, byte[] Hi) Range(LsmVersion v, List<FileMetaData> files)
    {
        byte[]? lo = null, hi = null;
        foreach (var f in files)
        {
            if (lo is null || v.Comparator.CompareUser(f.SmallestUserKey, lo) < 0) lo = f.SmallestUserKey.ToArray();
            if (hi is null || v.Comparator.CompareUser(f.LargestUserKey, hi) > 0) hi = f.LargestUserKey.ToArray();
        }
        return (lo!, hi!);
    }
}
