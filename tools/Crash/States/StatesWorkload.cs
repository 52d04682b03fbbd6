using LatticeKV.Io;

namespace LatticeKV.Tool.Crash.States;

/// <summary>
/// The workload whose file-system operations are recorded: one writer issues batches of puts,
/// deletes and range deletes across three column families, a quarter of them synced, through
/// the real file system (so the log is the real memory-mapped one) wrapped in a
/// <see cref="RecordingFileSystem"/>. Write buffers, tables and the MANIFEST are tiny, so the
/// trace holds log rolls, flushes, compactions, MANIFEST rolls with CURRENT renames, and log and
/// table deletions; halfway the database is closed and reopened, so it also holds a recovery.
/// </summary>
internal sealed class StatesWorkload(int seed)
{
    public int Batches { get; init; } = 400;

    /// <summary>Whether one batch may write to several column families (else each batch stays in one).</summary>
    public bool CrossColumnFamilyBatches { get; init; } = true;

    /// <summary>
    /// Encrypt the database (every column family) under a random key; a third of the way each
    /// family's key is rotated, two thirds of the way the master key is changed, so the trace
    /// holds registry appends and rewrites, sealed logs, MANIFESTs and tables of two generations.
    /// </summary>
    public bool Encrypted { get; init; }

    /// <summary>Options shared by the workload and the checker's opens (the checker passes its own file system), encrypted under <paramref name="key"/> when given.</summary>
    public static DbOptions Options(IFileSystem fs, byte[]? key = null)
    {
        var options = PlainOptions(fs);
        if (key is null) return options;
        options.Encryption = EncryptionOptions.FromKey(key);
        options.DefaultColumnFamilyOptions.Encrypted = true;
        for (int cf = 1; cf < WorkloadHistory.ColumnFamilies; cf++)
            options.ColumnFamilyOptions[WorkloadHistory.ColumnFamilyName(cf)] = new ColumnFamilyOptions { Encrypted = true };
        return options;
    }

    private static DbOptions PlainOptions(IFileSystem fs) => new()
    {
        FileSystem = fs,
        WriteBufferSize = 8 * 1024,
        MaxBytesForLevelBase = 32 * 1024,
        TargetFileSizeBase = 8 * 1024,
        Level0FileNumCompactionTrigger = 2,
        MaxManifestFileSize = 4 * 1024,
        BlockCacheCapacity = 1 << 20,
    };

    /// <summary>Runs the workload in the empty directory <paramref name="directory"/>; returns the trace and the history.</summary>
    public (IReadOnlyList<FsOp> Trace, WorkloadHistory History) Run(string directory)
    {
        var random = new Random(seed);
        var fs = new RecordingFileSystem(RealFileSystem.Instance);
        var history = new WorkloadHistory();
        byte[]? key = null;
        if (Encrypted)
        {
            key = new byte[32];
            random.NextBytes(key);
            history.EncryptionKeys.Add(key);
        }
        var db = LatticeDb.Open(directory, Options(fs, key));
        try
        {
            for (int cf = 1; cf < WorkloadHistory.ColumnFamilies; cf++)
            {
                db.CreateColumnFamily(WorkloadHistory.ColumnFamilyName(cf), new ColumnFamilyOptions { Encrypted = Encrypted });
                history.ColumnFamilyCreated[cf] = fs.Mark($"column family {cf} created");
            }
            for (int id = 1; id <= Batches; id++)
            {
                if (id == Batches / 2)
                {
                    db.Dispose();
                    fs.Mark("closed");
                    db = LatticeDb.Open(directory, Options(fs, key));
                    fs.Mark("reopened");
                }
                if (Encrypted && id == Batches / 3)
                {
                    foreach (var handle in db.ColumnFamilies) db.RotateEncryptionKey(handle);
                    fs.Mark("keys rotated");
                }
                if (Encrypted && id == 2 * Batches / 3)
                {
                    key = new byte[32];
                    random.NextBytes(key);
                    history.EncryptionKeys.Add(key);
                    db.ChangeMasterKey(EncryptionOptions.FromKey(key));
                    fs.Mark("master key changed");
                }
                var batch = NextBatch(random, id, CrossColumnFamilyBatches);
                history.Batches.Add(batch);
                var handles = db.ColumnFamilies.ToDictionary(h => h.Name);
                var write = new WriteBatch();
                foreach (var op in batch.Ops)
                {
                    var cf = handles[WorkloadHistory.ColumnFamilyName(op.ColumnFamily)];
                    switch (op.Kind)
                    {
                        case BatchOpKind.Put: write.Put(cf, WorkloadHistory.Key(op.Key), WorkloadHistory.Value(id, op.ColumnFamily, op.Key)); break;
                        case BatchOpKind.Delete: write.Delete(cf, WorkloadHistory.Key(op.Key)); break;
                        default: write.DeleteRange(cf, WorkloadHistory.Key(op.Key), WorkloadHistory.Key(op.KeyEnd)); break;
                    }
                }
                batch.Begin = fs.Mark($"batch {id} issued{(batch.Sync ? " (sync)" : "")}");
                db.Write(write, new WriteOptions { Sync = batch.Sync });
                batch.Ack = fs.Mark($"batch {id} acknowledged");
            }
        }
        finally
        {
            db.Dispose();
        }
        fs.Mark("closed");
        return (fs.Operations, history);
    }

    /// <summary>One to four puts, sometimes a delete and sometimes a range delete, over random column families; at least one put, so every batch can be seen.</summary>
    private static WorkloadBatch NextBatch(Random random, int id, bool crossColumnFamilies)
    {
        int only = random.Next(WorkloadHistory.ColumnFamilies);
        int Cf() => crossColumnFamilies ? random.Next(WorkloadHistory.ColumnFamilies) : only;
        var ops = new List<BatchOp>();
        int puts = 1 + random.Next(4);
        for (int i = 0; i < puts; i++) ops.Add(new BatchOp(BatchOpKind.Put, Cf(), random.Next(WorkloadHistory.KeysPerColumnFamily)));
        if (random.Next(3) == 0) ops.Insert(random.Next(ops.Count + 1), new BatchOp(BatchOpKind.Delete, Cf(), random.Next(WorkloadHistory.KeysPerColumnFamily)));
        if (random.Next(8) == 0)
        {
            int from = random.Next(WorkloadHistory.KeysPerColumnFamily - 1);
            ops.Insert(0, new BatchOp(BatchOpKind.DeleteRange, Cf(), from, Math.Min(WorkloadHistory.KeysPerColumnFamily, from + 2 + random.Next(6))));
        }
        return new WorkloadBatch(id, ops, Sync: random.Next(4) == 0);
    }
}
