using LatticeKV.Keys;
using LatticeKV.Manifest;
using LatticeKV.Memtable;
using LatticeKV.Sst;

namespace LatticeKV.Compaction;

/// <summary>
/// Writes immutable memtables of one column family to a single level-0 table. Versions that
/// no snapshot can see are dropped on the way, as compaction would; tombstones are kept
/// because older data may live in the levels below.
/// </summary>
internal static class FlushJob
{
    /// <summary>Returns the new file, or null when nothing survived (all entries were shadowed).</summary>
    public static FileMetaData? Run(JobContext ctx, IReadOnlyList<MemTable> memtables, ulong[] snapshots, ValuePolicy? policy,
        TableBuilderOptions builderOptions, CompactionStats stats, CancellationToken cancel)
    {
        var tombstones = new List<RangeTombstone>();
        foreach (var m in memtables) tombstones.AddRange(m.RawRangeTombstones());
        var fragments = FragmentedRangeTombstones.Build(tombstones, ctx.Comparator);
        using var merged = new MergingIterator(ctx.Comparator, memtables.Select(m => m.NewIterator()));
        using var iter = new CompactionIterator(merged, ctx.Comparator, snapshots, fragments, policy, static _ => false, stats);
        using var writer = new CompactionOutputWriter(ctx.FileSystem, ctx.DbPath, ctx.NewFileNumber, builderOptions, long.MaxValue,
            [], long.MaxValue, iter.SurvivingTombstones(bottomMost: false), stats, ctx.Blobs);
        try
        {
            CompactionJob.WriteAll(iter, writer, cancel);
            writer.Finish();
        }
        catch
        {
            writer.Abandon();
            throw;
        }
        return writer.Outputs.Count == 0 ? null : writer.Outputs[0];
    }
}
