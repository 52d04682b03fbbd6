using System.Text;

namespace LatticeKV.Indexing;

/// <summary>
/// The indexes of an open database: their definitions (stored in the catalog family), the
/// write stage that maintains them, and their background builds.
/// </summary>
/// <remarks>
/// Threads: any. Creating, dropping and changing an index's state take <see cref="_lock"/>;
/// readers (the write stage, queries) use the published maps without it. Lock order: this lock
/// comes before the database's locks (it is held while families are created and records written).
/// </remarks>
internal sealed class IndexCatalog
{
    // Constant after construction.
    private readonly IReadOnlyDictionary<string, IndexExtractor> _supplied;
    private readonly CancellationTokenSource _stop = new();

    private readonly Lock _lock = new();
    // Guarded by _lock.
    private ColumnFamilyHandle? _catalog;
    private bool _stageAdded;
    private readonly List<IndexBuilder> _builders = [];
    private bool _stopped;
    // Replaced whole under _lock; read without it.
    private volatile Dictionary<string, LiveIndex> _byName = new(StringComparer.Ordinal);
    private volatile Dictionary<uint, LiveIndex[]> _byPrimary = [];

    public IndexCatalog(LatticeDb db, IReadOnlyDictionary<string, IndexExtractor> supplied, IndexMaintenance maintenance)
    {
        Db = db;
        _supplied = supplied;
        Maintenance = maintenance;
    }

    public LatticeDb Db { get; }

    public IndexMaintenance Maintenance { get; }

    /// <summary>The indexes of each indexed family, by family id (for the write stage).</summary>
    public IReadOnlyDictionary<uint, LiveIndex[]> ByPrimary => _byPrimary;

    public IReadOnlyCollection<LiveIndex> All => _byName.Values;

    /// <summary>The catalog family; exists once any index has been created.</summary>
    public ColumnFamilyHandle CatalogFamily => _catalog ?? throw new InvalidOperationException("no index catalog");

    public static byte[] KeyOf(string name) => Encoding.UTF8.GetBytes(name);

    public bool TryGet(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out LiveIndex? index) => _byName.TryGetValue(name, out index);

    /// <summary>
    /// Reads the stored definitions and starts maintaining them (at open, before background work
    /// starts, so damage fails the open cleanly). Throws <see cref="CorruptionException"/> for a
    /// damaged definition.
    /// </summary>
    public void Load()
    {
        if (!Db.TryGetFamilyAnyName(IndexFamilies.CatalogName, out var catalog)) return;
        var found = new List<LiveIndex>();
        lock (_lock)
        {
            _catalog = catalog;
            using (var it = Db.NewIterator(catalog))
            {
                for (it.SeekToFirst(); it.Valid; it.Next())
                {
                    string name = DecodeName(it.Key);
                    var record = IndexRecord.Decode(name, it.Value, _supplied);
                    if (record.State == IndexState.Dropping) continue;
                    if (!Db.TryGetFamilyAnyName(IndexFamilies.EntriesOf(name), out var entries))
                        throw new CorruptionException($"index '{name}' has no family of entries ('{IndexFamilies.EntriesOf(name)}')");
                    var primary = Db.FindFamily(record.PrimaryFamilyId)
                        ?? throw new CorruptionException($"index '{name}' indexes column family {record.PrimaryFamilyId}, which does not exist");
                    found.Add(new LiveIndex(record, primary, entries));
                }
            }
            foreach (var index in found) Publish(index, add: true);
            if (found.Count > 0 && !Db.IsReadOnly) EnsureStage();
        }
    }

    /// <summary>
    /// Once background work runs: finishes drops a crash interrupted, drops entry families a
    /// crashed creation left, and resumes builds. What fails here is tried again at the next open.
    /// </summary>
    public void Resume()
    {
        if (_catalog is null || Db.IsReadOnly) return;
        try
        {
            var dropping = new List<string>();
            using (var it = Db.NewIterator(_catalog))
            {
                for (it.SeekToFirst(); it.Valid; it.Next())
                    if (!_byName.ContainsKey(DecodeName(it.Key))) dropping.Add(DecodeName(it.Key));
            }
            foreach (var name in dropping)
            {
                Db.TryGetFamilyAnyName(IndexFamilies.EntriesOf(name), out var entries);
                FinishDrop(name, entries);
            }
            DropOrphanFamilies();
        }
        catch (LatticeException)
        {
            // Left for the next open: a dropping index is not published, so nothing uses it meanwhile.
        }
        foreach (var index in _byName.Values)
            if (index.State == IndexState.Building) StartBuilder(index);
    }

    public LiveIndex Create(ColumnFamilyHandle primary, IndexDefinition definition)
    {
        definition.Validate();
        if (IndexFamilies.IsHidden(primary.Name)) throw new InvalidArgumentException("Hidden families cannot be indexed.", nameof(primary));
        // A scope-sealed family's values are sealed in stage 1 before this stage sees them, and
        // entries in a family of their own could not be shredded with their scope: refused.
        if (primary.Data.Scopes is not null || primary.Data.Options.EncryptionScope is not null)
            throw new InvalidArgumentException($"Column family '{primary.Name}' is scope-sealed (EncryptionScope): it cannot be indexed, since index entries could not be shredded with their scope.", nameof(primary));
        LiveIndex index;
        lock (_lock)
        {
            if (_stopped) throw new ObjectDisposedException(nameof(LatticeDb), "The database has been closed.");
            if (_byName.ContainsKey(definition.Name)) throw new InvalidArgumentException($"Index '{definition.Name}' already exists.", nameof(definition));
            _catalog ??= Db.CreateColumnFamilyCore(IndexFamilies.CatalogName, new ColumnFamilyOptions { Encrypted = Db.HasEncryption });
            // A family left by a creation that crashed before its record was written.
            if (Db.TryGetFamilyAnyName(IndexFamilies.EntriesOf(definition.Name), out var orphan)) Db.DropColumnFamilyCore(orphan);
            var entries = Db.CreateColumnFamilyCore(IndexFamilies.EntriesOf(definition.Name), new ColumnFamilyOptions { Encrypted = primary.Data.Options.Encrypted });
            var record = new IndexRecord(definition.Name, primary.Id, IndexState.Building, definition.Unique, definition.BackfillEntriesPerSecond, definition.Extractor, null);
            WriteRecord(record);
            index = new LiveIndex(record, primary, entries);
            EnsureStage();
            Publish(index, add: true);
        }
        // Writes prepared before the index was published carry no entries for it: those already
        // led are in the memtables once this returns (so the build sees them), and the others
        // are prepared again with entries (WritePath.ChangeStages).
        Db.WaitForQueuedWrites();
        StartBuilder(index);
        return index;
    }

    public void Drop(LiveIndex index)
    {
        IndexBuilder? builder;
        lock (_lock)
        {
            if (!_byName.TryGetValue(index.Name, out var live) || live != index) throw new InvalidArgumentException($"Index '{index.Name}' does not exist.", nameof(index));
            index.Record = index.Record with { State = IndexState.Dropping };
            WriteRecord(index.Record);
            Publish(index, add: false);
            builder = _builders.FirstOrDefault(b => b.Index == index);
        }
        builder?.Join();
        FinishDrop(index.Name, index.Entries);
    }

    /// <summary>Records the build's progress (unless the index was dropped meanwhile).</summary>
    public void Advance(LiveIndex index, IndexRecord record)
    {
        lock (_lock)
            if (index.State == IndexState.Building) index.Record = record;
    }

    /// <summary>Ends a build: Ready, or Failed when existing data breaks its unique constraint.</summary>
    public void Settle(LiveIndex index, IndexState state)
    {
        lock (_lock)
        {
            if (index.State != IndexState.Building || _stopped) return;
            var record = index.Record with { State = state, Cursor = null };
            WriteRecord(record);
            index.Record = record;
        }
    }

    /// <summary>Stops the builds (at close); each resumes at its stored cursor at the next open.</summary>
    public void StopBuilders()
    {
        List<IndexBuilder> builders;
        lock (_lock)
        {
            _stopped = true;
            builders = [.. _builders];
        }
        _stop.Cancel();
        foreach (var b in builders) b.Join();
    }

    private void FinishDrop(string name, ColumnFamilyHandle? entries)
    {
        if (entries is not null && !entries.Data.Dropped) Db.DropColumnFamilyCore(entries);
        lock (_lock)
        {
            var batch = new WriteBatch();
            batch.Delete(CatalogFamily, KeyOf(name));
            Db.Write(batch);
        }
    }

    /// <summary>Entry families whose index has no record: a creation that crashed half way.</summary>
    private void DropOrphanFamilies()
    {
        foreach (var family in Db.HiddenFamilies())
        {
            // Only entry families: other hidden families (the replication log, foreign keys) are not the catalog's.
            if (!IndexFamilies.IsEntries(family.Name)) continue;
            if (_byName.Values.Any(i => i.Entries == family)) continue;
            Db.DropColumnFamilyCore(family);
        }
    }

    private void WriteRecord(IndexRecord record)
    {
        var batch = new WriteBatch();
        batch.Put(CatalogFamily, KeyOf(record.Name), record.Encode());
        Db.Write(batch);
    }

    private void StartBuilder(LiveIndex index)
    {
        lock (_lock)
        {
            if (_stopped) return;
            var builder = new IndexBuilder(this, index, _stop.Token);
            _builders.RemoveAll(b => b.Index == index);
            _builders.Add(builder);
            builder.Start();
        }
    }

    private void EnsureStage()
    {
        if (_stageAdded) return;
        Db.AddWriteStage(new IndexWriteStage(this), LatticeKV.Db.WriteStageOrder.Indexing);
        _stageAdded = true;
    }

    /// <summary>Adds or removes <paramref name="index"/> in the published maps (under <see cref="_lock"/>).</summary>
    private void Publish(LiveIndex index, bool add)
    {
        var byName = new Dictionary<string, LiveIndex>(_byName, StringComparer.Ordinal);
        if (add) byName[index.Name] = index;
        else byName.Remove(index.Name);
        _byPrimary = byName.Values.GroupBy(i => i.Primary.Id).ToDictionary(g => g.Key, g => g.OrderBy(i => i.Name, StringComparer.Ordinal).ToArray());
        _byName = byName;
        // A write whose stage 1 saw the maps before this change is prepared again if it is led
        // after it, so none reaches the memtables without (or with a dropped index's) entries.
        Db.ChangeWriteStages();
    }

    /// <summary>A catalog record's key as a name; a key that is not UTF-8 is a <see cref="CorruptionException"/> naming <paramref name="catalog"/>.</summary>
    internal static string DecodeName(ReadOnlySpan<byte> key, string catalog = "index catalog")
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(key);
        }
        catch (DecoderFallbackException)
        {
            throw new CorruptionException($"the {catalog} holds a name that is not UTF-8");
        }
    }
}
