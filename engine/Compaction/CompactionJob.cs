using LatticeKV.Io;
using LatticeKV.Keys;
using LatticeKV.Manifest;
using LatticeKV.Sst;

namespace LatticeKV.Compaction;

/// <summary>What a flush or compaction needs from the database around it.</summary>
internal sealed record JobContext(
    IFileSystem FileSystem,
    string DbPath,
    TableCache Tables,
    Func<long> NewFileNumber,
    InternalKeyComparator Comparator)
{
    /// <summary>The column family's blob settings (FORMAT.md §21); null: values stay in tables and no blob file is read.</summary>
    public BlobSeparation? Blobs { get; init; }
}

/// <summary>
/// Executes one <see cref="CompactionPlan"/>: merges the inputs through a
/// <see cref="CompactionIterator"/> into new tables and describes the result as a
/// <see cref="VersionEdit"/>. Runs without the database mutex; the caller installs the edit.
/// </summary>
internal static class CompactionJob
{
    public static (VersionEdit Edit, CompactionStats Stats) Run(JobContext ctx, CompactionPlan c, ulong[] snapshots, ValuePolicy? policy,
        TableBuilderOptions builderOptions, CancellationToken cancel)
    {
        var edit = new VersionEdit { ColumnFamilyId = c.ColumnFamilyId };
        var stats = new CompactionStats();
        foreach (var f in c.Inputs) edit.DeleteFile(c.Level, f.Number);
        foreach (var f in c.OutputLevelInputs) edit.DeleteFile(c.OutputLevel, f.Number);

        if (c.IsTrivialMove)
        {
            edit.AddFile(c.OutputLevel, c.Inputs[0]);
            return (edit, stats);
        }

        var leases = new List<TableLease>();
        var children = new List<InternalIterator>();
        try
        {
            var tombstones = new List<RangeTombstone>();
            foreach (var f in c.AllInputs)
            {
                stats.BytesRead += f.FileSize;
                if (f.NumRangeDeletions == 0) continue;
                var lease = ctx.Tables.Acquire(f.Number);
                leases.Add(lease);
                tombstones.AddRange(lease.Reader.RangeTombstones.AsTombstones());
            }
            if (c.Level == 0)
            {
                foreach (var f in c.Inputs)
                {
                    var lease = ctx.Tables.Acquire(f.Number);
                    leases.Add(lease);
                    children.Add(lease.Reader.NewIterator(fillCache: false, resolveBlobs: false));
                }
            }
            else
            {
                children.Add(new LevelIterator(ctx.Tables, ctx.Comparator, c.Inputs, fillCache: false, resolveBlobs: false));
            }
            if (c.OutputLevelInputs.Count > 0)
                children.Add(new LevelIterator(ctx.Tables, ctx.Comparator, c.OutputLevelInputs, fillCache: false, resolveBlobs: false));

            using var merged = new MergingIterator(ctx.Comparator, children);
            children.Clear(); // owned by the merging iterator now
            var fragments = FragmentedRangeTombstones.Build(tombstones, ctx.Comparator);
            using var iter = new CompactionIterator(merged, ctx.Comparator, snapshots, fragments, policy, c.IsBaseLevelForKey, stats, zeroSequences: c.OutputLevel > 0,
                blobs: ctx.Blobs?.Files ?? ctx.Tables.Options.Blobs);
            using var writer = new CompactionOutputWriter(ctx.FileSystem, ctx.DbPath, ctx.NewFileNumber, builderOptions, c.MaxOutputFileSize,
                c.Grandparents, c.Options.MaxGrandparentOverlapBytes, iter.SurvivingTombstones(c.BottomMost), stats, ctx.Blobs);
            try
            {
                WriteAll(iter, writer, cancel);
                writer.Finish();
            }
            catch
            {
                writer.Abandon();
                throw;
            }
            foreach (var f in writer.Outputs) edit.AddFile(c.OutputLevel, f);
            return (edit, stats);
        }
        finally
        {
            foreach (var child in children) child.Dispose();
            foreach (var lease in leases) lease.Dispose();
        }
    }

    /// <summary>Feeds every surviving entry to the writer, marking where user keys change.</summary>
    internal static void WriteAll(CompactionIterator iter, CompactionOutputWriter writer, CancellationToken cancel)
    {
        int counter = 0;
        while (iter.MoveNext())
        {
            if ((++counter & 1023) == 0) cancel.ThrowIfCancellationRequested();
            writer.Add(iter.Key, iter.Value, iter.IsFirstOfUserKey);
        }
    }
}
