namespace LatticeKV.Indexing;

/// <summary>An index of the open database: its definition, families and state.</summary>
internal sealed class LiveIndex
{
    // Replaced whole (under IndexCatalog's lock); read without it.
    private volatile IndexRecord _record;
    // Set once the state leaves Building.
    private readonly ManualResetEventSlim _settled = new(false);
    private long _backfilled;

    public LiveIndex(IndexRecord record, ColumnFamilyHandle primary, ColumnFamilyHandle entries)
    {
        _record = record;
        Primary = primary;
        Entries = entries;
        Handle = new IndexHandle(this);
        if (record.State != IndexState.Building) _settled.Set();
    }

    public string Name => _record.Name;

    public IndexExtractor Extractor => _record.Extractor;

    public bool Unique => _record.Unique;

    public bool IsText => _record.Extractor.IsText;

    public ColumnFamilyHandle Primary { get; }

    /// <summary>The hidden family of its entries.</summary>
    public ColumnFamilyHandle Entries { get; }

    public IndexHandle Handle { get; }

    public IndexState State => _record.State;

    /// <summary>Writes maintain it (a failed or dropping index is left alone).</summary>
    public bool Maintained => _record.State is IndexState.Building or IndexState.Ready;

    public IndexRecord Record
    {
        get => _record;
        set
        {
            _record = value;
            if (value.State != IndexState.Building) _settled.Set();
        }
    }

    /// <summary>Existing entries the background build has indexed since this open.</summary>
    public long Backfilled => Interlocked.Read(ref _backfilled);

    public void AddBackfilled(long count) => Interlocked.Add(ref _backfilled, count);

    public bool WaitSettled(TimeSpan timeout, CancellationToken cancellation) => _settled.Wait(timeout, cancellation);

    /// <summary>Adds the entries of <paramref name="keys"/> (extracted from <paramref name="primaryKey"/>'s value) and, for a text index, its document record.</summary>
    public void WriteEntries(WriteBatch batch, ReadOnlySpan<byte> primaryKey, ExtractedKeys keys)
    {
        foreach (var (indexKey, frequency) in keys.Entries)
            batch.Put(Entries, IndexKeyEncoding.EntryKey(indexKey, primaryKey), IsText ? TextDocument.EncodePosting(frequency, keys.Tokens) : []);
        if (!IsText) return;
        if (keys.Tokens > 0) batch.Put(Entries, IndexKeyEncoding.DocumentKey(primaryKey), TextDocument.Encode(keys));
        else batch.Delete(Entries, IndexKeyEncoding.DocumentKey(primaryKey));
    }

    public void ThrowIfNotReady()
    {
        var state = State;
        if (state != IndexState.Ready) throw new IndexNotReadyException(Name, state == IndexState.Failed);
    }
}
