namespace LatticeKV.Tool.Crash;

/// <summary>
/// The process that gets killed: writes whole-group batches forever from several threads,
/// announcing each batch before writing it and acknowledging it after the write returns.
/// A small write buffer keeps flushes and compactions running at every moment.
/// </summary>
public static class CrashChild
{
    public static int Run(string path, int seed, long firstBatchId, int groups, int threads, int columnFamilies, bool sync, TextWriter output)
    {
        var options = new DbOptions
        {
            WriteBufferSize = 64 * 1024,
            MaxBytesForLevelBase = 256 * 1024,
            TargetFileSizeBase = 64 * 1024,
            Level0FileNumCompactionTrigger = 2,
        };
        using var db = LatticeDb.Open(path, options);
        var handles = new Dictionary<string, ColumnFamilyHandle> { ["default"] = db.DefaultColumnFamily };
        for (int i = 1; i < columnFamilies; i++)
        {
            string name = "cf" + i;
            handles[name] = db.TryGetColumnFamily(name, out var h) ? h : db.CreateColumnFamily(name);
        }
        var gate = new object();
        long nextId = firstBatchId;
        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            int worker = t;
            workers[t] = new Thread(() =>
            {
                var rnd = new Random(seed * 7919 + worker);
                var writeOptions = new WriteOptions { Sync = sync };
                while (true)
                {
                    // Each worker owns the groups congruent to it, so a group has one writer at a time.
                    int group = worker + threads * rnd.Next(groups / threads);
                    bool delete = rnd.Next(10) == 0;
                    long id;
                    lock (gate)
                    {
                        id = nextId++;
                        output.WriteLine(CrashProtocol.Begin(id, group, delete));
                        output.Flush();
                    }
                    var batch = new WriteBatch();
                    var cf = handles[CrashProtocol.ColumnFamily(group, columnFamilies)];
                    for (int m = 0; m < CrashProtocol.KeysPerGroup; m++)
                    {
                        if (delete) batch.Delete(cf, CrashProtocol.Key(group, m));
                        else batch.Put(cf, CrashProtocol.Key(group, m), CrashProtocol.Value(id, m));
                    }
                    db.Write(batch, writeOptions);
                    lock (gate)
                    {
                        output.WriteLine(CrashProtocol.Ack(id));
                        output.Flush();
                    }
                }
            }) { IsBackground = true };
            workers[t].Start();
        }
        foreach (var w in workers) w.Join();
        return 0;
    }
}
