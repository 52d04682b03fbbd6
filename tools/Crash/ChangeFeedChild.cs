using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace LatticeKV.Tool.Crash;

/// <summary>
/// The process the change-feed crash test kills: two threads write batches to a replicated
/// family (puts, deletes and balance merges; each batch also puts <c>batch/ID</c> holding its
/// operation count) and print <c>A ID</c> once a write returned, while a third consumes the
/// change feed from the cursor it was given and prints <c>C POSITION</c> per change. A small
/// write buffer keeps flushes and compactions running. See <see cref="Verify"/> for what must
/// hold after a kill.
/// </summary>
public static class ChangeFeedChild
{
    public const string Family = "ledger";

    public static DbOptions Options()
    {
        var o = new DbOptions
        {
            WriteBufferSize = 64 * 1024,
            MaxBytesForLevelBase = 256 * 1024,
            TargetFileSizeBase = 64 * 1024,
            Level0FileNumCompactionTrigger = 2,
        };
        o.ColumnFamilyOptions[Family] = FamilyOptions();
        return o;
    }

    private static ColumnFamilyOptions FamilyOptions() => new() { Replicated = true, MergeOperator = MergeOperators.Int64Add };

    public static ColumnFamilyHandle OpenFamily(LatticeDb db)
        => db.TryGetColumnFamily(Family, out var cf) ? cf : db.CreateColumnFamily(Family, FamilyOptions());

    public static int Run(string path, int seed, long firstId, ulong since, TextWriter output)
    {
        using var db = LatticeDb.Open(path, Options());
        var cf = OpenFamily(db);
        var gate = new object();
        long nextId = firstId;
        void Print(string line)
        {
            lock (gate)
            {
                output.WriteLine(line);
                output.Flush();
            }
        }
        var consumer = new Thread(() =>
        {
            var e = db.WatchChangesAsync(new ChangeCursor(since)).GetAsyncEnumerator();
            while (e.MoveNextAsync().AsTask().GetAwaiter().GetResult())
                Print("C " + e.Current.Position.ToString(CultureInfo.InvariantCulture));
        }) { IsBackground = true };
        consumer.Start();
        var writers = Enumerable.Range(0, 2).Select(t => new Thread(() =>
        {
            var rnd = new Random(seed * 7919 + t);
            while (true)
            {
                long id = Interlocked.Increment(ref nextId) - 1;
                var batch = new WriteBatch();
                int ops = 1 + rnd.Next(4);
                for (int i = 0; i < ops; i++)
                {
                    var key = Encoding.ASCII.GetBytes("k" + rnd.Next(200).ToString("D3", CultureInfo.InvariantCulture));
                    switch (rnd.Next(3))
                    {
                        case 0: batch.Delete(cf, key); break;
                        case 1: batch.Merge(cf, Encoding.ASCII.GetBytes("bal" + rnd.Next(10).ToString(CultureInfo.InvariantCulture)), Int64(1 + rnd.Next(100))); break;
                        default: batch.Put(cf, key, Encoding.ASCII.GetBytes("b" + id.ToString(CultureInfo.InvariantCulture))); break;
                    }
                }
                batch.Put(cf, BatchKey(id), Int64(ops));
                db.Write(batch);
                Print("A " + id.ToString(CultureInfo.InvariantCulture));
            }
        }) { IsBackground = true }).ToList();
        writers.ForEach(w => w.Start());
        writers.ForEach(w => w.Join()); // until killed
        return 0;
    }

    public static byte[] BatchKey(long id) => Encoding.ASCII.GetBytes("batch/" + id.ToString("D12", CultureInfo.InvariantCulture));

    private static byte[] Int64(long v)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(b, v);
        return b;
    }

    /// <summary>
    /// After a kill: replaying the whole change log gives exactly the family's data (no change
    /// without its data, no data without its change, balances equal to the sum of their merges);
    /// each batch's changes are all there, consecutive, or none are; every acknowledged batch is
    /// there. Returns the problems found (empty when none).
    /// </summary>
    public static List<string> Verify(LatticeDb db, IEnumerable<long> acknowledged, out List<Change> changes)
    {
        var problems = new List<string>();
        var cf = OpenFamily(db);
        changes = [.. db.GetChanges(ChangeCursor.Beginning)];
        var model = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        var balances = new Dictionary<string, long>(StringComparer.Ordinal);
        var batches = new HashSet<long>();
        for (int i = 0; i < changes.Count; i++)
        {
            var c = changes[i];
            string key = Encoding.ASCII.GetString(c.Key);
            if (i > 0 && c.Position <= changes[i - 1].Position) problems.Add($"position {c.Position} follows {changes[i - 1].Position}");
            switch (c.Operation)
            {
                case ChangeOperation.Put: model[key] = c.Value!; break;
                case ChangeOperation.Delete: model.Remove(key); break;
                case ChangeOperation.Merge:
                    balances[key] = checked(balances.GetValueOrDefault(key) + BinaryPrimitives.ReadInt64LittleEndian(c.Value));
                    model.Remove(key);
                    break;
            }
            if (key.StartsWith("batch/", StringComparison.Ordinal))
            {
                long id = long.Parse(key.AsSpan(6), CultureInfo.InvariantCulture);
                batches.Add(id);
                long ops = BinaryPrimitives.ReadInt64LittleEndian(c.Value);
                // The batch's operations are the changes just before its marker, with its clock reading.
                for (long k = 1; k <= ops; k++)
                    if (i - k < 0 || changes[(int)(i - k)].Timestamp != c.Timestamp) problems.Add($"batch {id} is missing some of its {ops} changes");
                if (i - ops - 1 >= 0 && changes[(int)(i - ops - 1)].Timestamp == c.Timestamp && !Encoding.ASCII.GetString(changes[(int)(i - ops - 1)].Key).StartsWith("batch/", StringComparison.Ordinal))
                    problems.Add($"batch {id} has more changes than its {ops} operations");
            }
        }
        foreach (var (key, sum) in balances) model[key] = Int64(sum);
        var data = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        using (var it = db.NewIterator(cf))
            for (it.SeekToFirst(); it.Valid; it.Next()) data[Encoding.ASCII.GetString(it.Key)] = it.Value.ToArray();
        foreach (var (key, value) in model)
            if (!data.TryGetValue(key, out var stored)) problems.Add($"the log holds {key} but the data does not");
            else if (!stored.AsSpan().SequenceEqual(value)) problems.Add($"{key}: the data differs from the log's replay");
        foreach (var key in data.Keys)
            if (!model.ContainsKey(key)) problems.Add($"the data holds {key} but the log does not");
        foreach (long id in acknowledged)
            if (!batches.Contains(id)) problems.Add($"acknowledged batch {id} is missing from the log");
        return problems;
    }
}
