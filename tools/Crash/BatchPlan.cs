namespace LatticeKV.Tool.Crash;

/// <summary>
/// The shape of one power-mode batch before its id is known: whole groups to put or delete
/// (often several, in different column families), and sometimes a range delete over some of the
/// writer's groups in one column family, alone or in the same batch.
/// </summary>
internal sealed record BatchPlan(int[] Groups, bool Delete, (int Cf, int From, int To)? Range, int ColumnFamilies)
{
    /// <summary>A random batch over the writer's groups [<paramref name="first"/>, <paramref name="end"/>).</summary>
    public static BatchPlan Next(Random r, int first, int end, int columnFamilies)
    {
        int per = end - first, kind = r.Next(100);
        (int Cf, int From, int To)? range = null;
        if (kind < 15)
        {
            int from = first + r.Next(per);
            range = (r.Next(columnFamilies), from, Math.Min(end, from + 1 + r.Next(12)));
        }
        int count = kind < 8 ? 0 : kind < 45 ? 2 + r.Next(3) : 1;
        var plan = new BatchPlan([], r.Next(8) == 0, range, columnFamilies);
        // A group the range delete covers is left to it: one batch, one effect per group.
        var covered = plan.RangeGroups.ToHashSet();
        return plan with { Groups = [.. Enumerable.Range(0, count).Select(_ => first + r.Next(per)).Where(g => !covered.Contains(g)).Distinct()] };
    }

    /// <summary>The groups the range delete removes: those in [From, To) that live in its column family.</summary>
    public IEnumerable<int> RangeGroups => Range is var (cf, from, to)
        ? Enumerable.Range(from, to - from).Where(g => CrashProtocol.ColumnFamilyIndex(g, ColumnFamilies) == cf)
        : [];

    /// <summary>The batch as operation <paramref name="id"/>: the state it leaves in every group it touches.</summary>
    public PowerOp Op(long id)
    {
        var effects = RangeGroups.ToDictionary(g => g, _ => 0L);
        foreach (int g in Groups) effects[g] = Delete ? 0 : id;
        return new PowerOp(id, effects);
    }

    /// <summary>The write batch for <paramref name="op"/> (made by <see cref="Op"/> from this plan).</summary>
    public WriteBatch Batch(PowerOp op, IReadOnlyList<ColumnFamilyHandle> handles)
    {
        var batch = new WriteBatch();
        if (Range is var (cf, from, to)) batch.DeleteRange(handles[cf], CrashProtocol.GroupStart(from), CrashProtocol.GroupStart(to));
        foreach (int g in Groups)
        {
            var family = handles[CrashProtocol.ColumnFamilyIndex(g, ColumnFamilies)];
            for (int m = 0; m < CrashProtocol.KeysPerGroup; m++)
            {
                if (Delete) batch.Delete(family, CrashProtocol.Key(g, m));
                else batch.Put(family, CrashProtocol.Key(g, m), CrashProtocol.Value(op.Id, m));
            }
        }
        return batch;
    }

    /// <summary>How many column families the batch writes to.</summary>
    public int Families => Groups.Select(g => CrashProtocol.ColumnFamilyIndex(g, ColumnFamilies)).Concat(Range is var (cf, _, _) ? [cf] : []).Distinct().Count();
}
