namespace LatticeKV.Tool.Crash;

/// <summary>
/// The process that gets killed. Writer threads each own a contiguous range of groups and issue
/// puts, deletes, multi-group batches across column families and range deletes, announcing each
/// operation before issuing it and acknowledging it after it returns. A checker thread holds
/// snapshots and iterators open across flushes and compactions and verifies, from inside, that
/// every group it sees is whole. A small write buffer keeps flushes and compactions running;
/// with <c>largeLog</c>, a large one and no explicit flushes let the log grow, so that the next
/// open has much to replay and flush (and the parent can kill it there). The child says how far
/// its open has got.
/// </summary>
public static class CrashChild
{
    /// <summary>The write buffer with <c>largeLog</c>: larger than anything one run writes, so nothing is flushed.</summary>
    private const long LargeWriteBuffer = 16L << 20;

    /// <summary>Runs the workload until killed; with <paramref name="encryption"/>, on an encrypted database with every family encrypted.</summary>
    public static int Run(string path, int seed, long firstId, int groups, int threads, int columnFamilies, bool sync, bool largeLog, EncryptionOptions? encryption, TextWriter output)
    {
        var options = new DbOptions
        {
            WriteBufferSize = largeLog ? LargeWriteBuffer : 64 * 1024,
            MaxBytesForLevelBase = 256 * 1024,
            TargetFileSizeBase = 64 * 1024,
            Level0FileNumCompactionTrigger = 2,
        };
        if (encryption is not null) Encrypt(options, encryption, columnFamilies);
        var gate = new object();
        long nextId = firstId;
        void Say(string line)
        {
            lock (gate)
            {
                output.WriteLine(line);
                output.Flush();
            }
        }
        Say(CrashProtocol.Opening);
        LatticeDb opened;
        using (new OpenWatcher(path, Say)) opened = LatticeDb.Open(path, options);
        using var db = opened;
        var handles = new ColumnFamilyHandle[columnFamilies];
        for (int i = 0; i < columnFamilies; i++)
        {
            string name = CrashProtocol.ColumnFamily(i);
            handles[i] = i == 0 ? db.DefaultColumnFamily : db.TryGetColumnFamily(name, out var h) ? h : db.CreateColumnFamily(name, options.ColumnFamilyOptions.TryGetValue(name, out var o) ? o : null);
        }
        Say(CrashProtocol.Opened);

        var workers = new List<Thread>();
        int perThread = groups / threads;
        for (int t = 0; t < threads; t++)
        {
            int lo = t * perThread, hi = lo + perThread, worker = t;
            workers.Add(new Thread(() =>
            {
                var rnd = new Random(seed * 7919 + worker);
                var writeOptions = new WriteOptions { Sync = sync };
                while (true)
                {
                    long id = Interlocked.Increment(ref nextId) - 1;
                    var batch = new WriteBatch();
                    int op = rnd.Next(100);
                    if (op < 8)
                    {
                        int cf = rnd.Next(columnFamilies);
                        int from = lo + rnd.Next(perThread), to = Math.Min(hi, from + 1 + rnd.Next(12));
                        Say(CrashProtocol.RangeDelete(id, cf, from, to));
                        batch.DeleteRange(handles[cf], CrashProtocol.GroupStart(from), CrashProtocol.GroupStart(to));
                    }
                    else
                    {
                        // Mostly one group; sometimes several, usually across column families.
                        int count = op < 25 ? 2 + rnd.Next(3) : 1;
                        var chosen = Enumerable.Range(0, count).Select(_ => lo + rnd.Next(perThread)).Distinct().ToList();
                        bool delete = op % 10 == 9;
                        Say(delete ? CrashProtocol.Delete(id, chosen) : CrashProtocol.Put(id, chosen));
                        foreach (int g in chosen)
                        {
                            var cf = handles[CrashProtocol.ColumnFamilyIndex(g, columnFamilies)];
                            for (int m = 0; m < CrashProtocol.KeysPerGroup; m++)
                            {
                                if (delete) batch.Delete(cf, CrashProtocol.Key(g, m));
                                else batch.Put(cf, CrashProtocol.Key(g, m), CrashProtocol.Value(id, m));
                            }
                        }
                    }
                    db.Write(batch, writeOptions);
                    Say(CrashProtocol.Ack(id));
                }
            }) { IsBackground = true });
        }
        workers.Add(new Thread(() => CheckContinuously(db, handles, seed, flushes: !largeLog, Say)) { IsBackground = true });
        foreach (var w in workers) w.Start();
        foreach (var w in workers) w.Join();
        return 0;
    }

    /// <summary>Makes <paramref name="options"/> open the workload's database encrypted, every column family sealed.</summary>
    public static void Encrypt(DbOptions options, EncryptionOptions encryption, int columnFamilies)
    {
        options.Encryption = encryption;
        options.DefaultColumnFamilyOptions = new ColumnFamilyOptions { Encrypted = true };
        for (int i = 1; i < columnFamilies; i++) options.ColumnFamilyOptions[CrashProtocol.ColumnFamily(i)] = new ColumnFamilyOptions { Encrypted = true };
    }

    /// <summary>Snapshots, iterators held across flushes and compactions, and a wholeness check of every group seen.</summary>
    private static void CheckContinuously(LatticeDb db, ColumnFamilyHandle[] handles, int seed, bool flushes, Action<string> say)
    {
        var rnd = new Random(seed);
        while (true)
        {
            using var snapshot = db.GetSnapshot();
            var cf = handles[rnd.Next(handles.Length)];
            using var it = db.NewIterator(cf, new ReadOptions { Snapshot = snapshot, FillCache = rnd.Next(2) == 0 });
            if (flushes && rnd.Next(8) == 0) db.Flush(cf);
            if (flushes && rnd.Next(16) == 0) db.CompactRange(cf);
            string? group = null;
            long value = -1;
            int members = 0;
            for (it.SeekToFirst(); it.Valid; it.Next())
            {
                var key = System.Text.Encoding.ASCII.GetString(it.Key);
                string g = key[..key.IndexOf('/', StringComparison.Ordinal)];
                long v = CrashProtocol.ParseValue(it.Value);
                if (g != group)
                {
                    if (group is not null && members != CrashProtocol.KeysPerGroup) Fail(say, $"group {group} has {members} members under a snapshot");
                    group = g;
                    value = v;
                    members = 0;
                }
                if (v != value) Fail(say, $"group {group} mixes operations {value} and {v} under a snapshot");
                members++;
            }
            if (group is not null && members != CrashProtocol.KeysPerGroup) Fail(say, $"group {group} has {members} members under a snapshot");
        }
    }

    private static void Fail(Action<string> say, string message)
    {
        say("X " + message);
        Environment.Exit(3);
    }
}
