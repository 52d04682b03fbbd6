namespace LatticeKV.Indexing;

/// <summary>
/// The background build of one index: walks the indexed family in key order in a snapshot,
/// from the stored cursor, and commits batches of entries (<see cref="BackfillCheck"/>) each
/// with the cursor it reached, at most <see cref="IndexRecord.Rate"/> keys a second. After a
/// crash the next open resumes at the cursor. When the walk ends the index becomes Ready; if
/// existing data breaks its unique constraint it becomes Failed.
/// </summary>
internal sealed class IndexBuilder
{
    private const int MaxBatchKeys = 256;

    private readonly IndexCatalog _catalog;
    private readonly LiveIndex _index;
    private readonly CancellationToken _stop;
    private readonly Thread _thread;

    public IndexBuilder(IndexCatalog catalog, LiveIndex index, CancellationToken stop)
    {
        _catalog = catalog;
        _index = index;
        _stop = stop;
        _thread = new Thread(Run) { IsBackground = true, Name = "lkv-index-build" };
    }

    public LiveIndex Index => _index;

    public void Start() => _thread.Start();

    public void Join() => _thread.Join();

    private void Run()
    {
        try
        {
            Build();
        }
        catch (UniqueConstraintException)
        {
            _catalog.Settle(_index, IndexState.Failed);
        }
        catch (Exception ex) when (ex is IndexBuildStoppedException or ObjectDisposedException or OperationCanceledException or ColumnFamilyNotFoundException)
        {
            // Dropped or closing: a later open resumes at the stored cursor.
        }
        catch (LatticeException)
        {
            // The database failed underneath (a background error): the build resumes at the next open.
        }
    }

    private void Build()
    {
        var db = _catalog.Db;
        int? rate = _index.Record.Rate;
        int batchKeys = Math.Min(MaxBatchKeys, rate ?? MaxBatchKeys);
        long started = Environment.TickCount64, done = 0;
        using var snapshot = db.GetSnapshot();
        byte[]? cursor = _index.Record.Cursor;
        using var it = db.NewIterator(_index.Primary, new ReadOptions { Snapshot = snapshot, FillCache = false, IterateLowerBound = cursor });
        it.SeekToFirst();
        if (cursor is not null && it.Valid && it.Key.SequenceEqual(cursor)) it.Next();
        var keys = new List<byte[]>(batchKeys);
        while (true)
        {
            _stop.ThrowIfCancellationRequested();
            keys.Clear();
            for (; it.Valid && keys.Count < batchKeys; it.Next()) keys.Add(it.Key.ToArray());
            if (keys.Count == 0) break;
            var record = _index.Record with { Cursor = keys[^1] };
            var batch = new WriteBatch();
            batch.Put(_catalog.CatalogFamily, IndexCatalog.KeyOf(_index.Name), record.Encode());
            db.WriteChecked(batch, WriteOptions.Default, new BackfillCheck(db, _index, keys, batch));
            _catalog.Advance(_index, record);
            _index.AddBackfilled(keys.Count);
            done += keys.Count;
            if (rate is { } perSecond)
            {
                // Paced against the start, so time spent writing counts toward the budget.
                long due = done * 1000 / perSecond - (Environment.TickCount64 - started);
                if (due > 0 && _stop.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(due))) return;
            }
        }
        _catalog.Settle(_index, IndexState.Ready);
    }
}
