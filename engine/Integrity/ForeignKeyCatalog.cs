using System.Text;
using LatticeKV.Indexing;

namespace LatticeKV.Integrity;

/// <summary>
/// The foreign keys of an open database: their records (in <see cref="ForeignKeyFamilies.CatalogName"/>),
/// the indexes they own, and the write stage that enforces them.
/// </summary>
/// <remarks>
/// Threads: any. Adding and dropping take <see cref="_lock"/> (one at a time, verification
/// included); the write stage and checks read the published maps without it. Lock order: this
/// lock, then the index catalog's, then the database's.
/// </remarks>
internal sealed class ForeignKeyCatalog
{
    // Constant after construction.
    private readonly IReadOnlyDictionary<string, IndexExtractor> _supplied;

    private readonly Lock _lock = new();
    // Guarded by _lock.
    private ColumnFamilyHandle? _catalog;
    private bool _stageAdded;
    private readonly List<string> _withdrawAtResume = [];
    // Replaced whole under _lock; read without it.
    private volatile Dictionary<string, LiveForeignKey> _byName = new(StringComparer.Ordinal);
    private volatile Dictionary<uint, LiveForeignKey[]> _byChild = [];
    private volatile Dictionary<uint, LiveForeignKey[]> _byParent = [];

    public ForeignKeyCatalog(LatticeDb db, IReadOnlyDictionary<string, IndexExtractor> supplied)
    {
        Db = db;
        _supplied = supplied;
    }

    public LatticeDb Db { get; }

    /// <summary>The foreign keys whose child is each family, by family id.</summary>
    public IReadOnlyDictionary<uint, LiveForeignKey[]> ByChild => _byChild;

    /// <summary>The foreign keys whose parent is each family, by family id.</summary>
    public IReadOnlyDictionary<uint, LiveForeignKey[]> ByParent => _byParent;

    public IReadOnlyCollection<LiveForeignKey> All => _byName.Values;

    /// <summary>True when <paramref name="columnFamilyId"/> is a child or a parent of some foreign key.</summary>
    public bool Names(uint columnFamilyId, out string foreignKey)
    {
        foreach (var key in _byName.Values)
        {
            if (key.Child.Id != columnFamilyId && key.Parent.Id != columnFamilyId) continue;
            foreignKey = key.Name;
            return true;
        }
        foreignKey = "";
        return false;
    }

    /// <summary>Reads the stored records (at open, after the indexes are loaded). Damage is a <see cref="CorruptionException"/>.</summary>
    public void Load()
    {
        if (!Db.TryGetFamilyAnyName(ForeignKeyFamilies.CatalogName, out var catalog)) return;
        var indexes = Db.Indexes!;
        lock (_lock)
        {
            _catalog = catalog;
            using (var it = Db.NewIterator(catalog))
            {
                for (it.SeekToFirst(); it.Valid; it.Next())
                {
                    string name = IndexCatalog.DecodeName(it.Key, "foreign key catalog");
                    var record = ForeignKeyRecord.Decode(name, it.Value, _supplied);
                    if (record.State == ForeignKeyState.Verifying)
                    {
                        // Its AddForeignKey never returned: withdrawn once writes are possible.
                        _withdrawAtResume.Add(name);
                        continue;
                    }
                    if (!indexes.TryGet(ForeignKeyFamilies.IndexOf(name), out var index))
                        throw new CorruptionException($"foreign key '{name}' has no index ('{ForeignKeyFamilies.IndexOf(name)}')");
                    var child = Db.FindFamily(record.ChildFamilyId) ?? throw new CorruptionException($"foreign key '{name}' names child column family {record.ChildFamilyId}, which does not exist");
                    var parent = Db.FindFamily(record.ParentFamilyId) ?? throw new CorruptionException($"foreign key '{name}' names parent column family {record.ParentFamilyId}, which does not exist");
                    Publish(new LiveForeignKey(record, child, parent, index), add: true);
                }
            }
            if (_byName.Count > 0 && !Db.IsReadOnly) EnsureStage();
        }
    }

    /// <summary>
    /// Once background work runs: withdraws foreign keys whose add was interrupted and drops owned
    /// indexes that have no foreign key (an add that crashed before its record). What fails here
    /// is tried again at the next open.
    /// </summary>
    public void Resume()
    {
        if (Db.IsReadOnly) return;
        try
        {
            lock (_lock)
            {
                foreach (var name in _withdrawAtResume) DeleteRecord(name);
                _withdrawAtResume.Clear();
            }
            foreach (var index in Db.Indexes!.All.ToList())
                if (ForeignKeyFamilies.IsOwnedIndex(index.Name) && !_byName.Values.Any(k => k.Index == index)) Db.Indexes.Drop(index);
        }
        catch (LatticeException)
        {
            // Left for the next open: nothing withdrawn here is enforced meanwhile.
        }
    }

    /// <summary>
    /// Adds a foreign key: builds its index, enforces it on every write from before the
    /// verification snapshot, verifies the existing data as of that snapshot, and withdraws it
    /// (throwing every violation) when the data breaks it.
    /// </summary>
    public LiveForeignKey Add(ForeignKeyDefinition definition)
    {
        definition.Validate();
        var child = definition.ChildFamily;
        var parent = definition.ParentFamily;
        foreach (var family in new[] { child, parent })
        {
            if (!ReferenceEquals(family.Db, Db) || family.Data.Dropped) throw new InvalidArgumentException($"Column family '{family.Name}' does not belong to this database (or was dropped).", nameof(definition));
            if (IndexFamilies.IsHidden(family.Name)) throw new InvalidArgumentException("Hidden families cannot take part in a foreign key.", nameof(definition));
        }
        lock (_lock)
        {
            if (_byName.ContainsKey(definition.Name)) throw new InvalidArgumentException($"Foreign key '{definition.Name}' already exists.", nameof(definition));
            var indexes = Db.Indexes!;
            string indexName = ForeignKeyFamilies.IndexOf(definition.Name);
            // An index left by an add that crashed before its record was written.
            if (indexes.TryGet(indexName, out var stale)) indexes.Drop(stale);
            var index = indexes.Create(child, new IndexDefinition { Name = indexName, Extractor = definition.ParentKey });
            var live = new LiveForeignKey(new ForeignKeyRecord(definition.Name, ForeignKeyState.Verifying, definition.OnDelete, child.Id, parent.Id, definition.ParentKey), child, parent, index);
            try
            {
                // Children are found through the index: it must hold every existing child first.
                index.WaitSettled(Timeout.InfiniteTimeSpan, CancellationToken.None);
                if (index.State != IndexState.Ready) throw new ObjectDisposedException(nameof(LatticeDb), "The database was closed while the foreign key's index was building.");
                _catalog ??= Db.CreateColumnFamilyCore(ForeignKeyFamilies.CatalogName, new ColumnFamilyOptions { Encrypted = Db.HasEncryption });
                WriteRecord(live.Record);
                EnsureStage();
                Publish(live, add: true);
                // Every write led from now on is checked; those prepared before are prepared again.
                Db.WaitForQueuedWrites();
                var violations = IntegrityVerifier.Violations(Db, live, limit: int.MaxValue, out _, out _);
                if (violations.Count > 0)
                    throw new ReferentialIntegrityException(
                        $"Foreign key '{definition.Name}' was not added: {violations.Count} existing child entr{(violations.Count == 1 ? "y" : "ies")} of '{child.Name}' refer to missing parents in '{parent.Name}' (first: {violations[0]}). Nothing is enforced.",
                        definition.Name, child.Name, violations);
                live.Record = live.Record with { State = ForeignKeyState.Enforced };
                WriteRecord(live.Record);
                return live;
            }
            catch
            {
                Withdraw(live);
                throw;
            }
        }
    }

    public void Drop(string name)
    {
        lock (_lock)
        {
            if (!_byName.TryGetValue(name, out var live)) throw new InvalidArgumentException($"Foreign key '{name}' does not exist.", nameof(name));
            Withdraw(live);
        }
    }

    /// <summary>Stops enforcing, deletes the record, then drops the index (under <see cref="_lock"/>).</summary>
    private void Withdraw(LiveForeignKey live)
    {
        if (_byName.TryGetValue(live.Name, out var published) && published == live) Publish(live, add: false);
        if (_catalog is not null) DeleteRecord(live.Name);
        if (Db.Indexes!.TryGet(live.Index.Name, out var index) && index == live.Index) Db.Indexes.Drop(index);
    }

    private void WriteRecord(ForeignKeyRecord record)
    {
        var batch = new WriteBatch();
        batch.Put(_catalog!, Encoding.UTF8.GetBytes(record.Name), record.Encode());
        Db.Write(batch);
    }

    private void DeleteRecord(string name)
    {
        var batch = new WriteBatch();
        batch.Delete(_catalog!, Encoding.UTF8.GetBytes(name));
        Db.Write(batch);
    }

    private void EnsureStage()
    {
        if (_stageAdded) return;
        Db.AddWriteStage(new ForeignKeyStage(this), LatticeKV.Db.WriteStageOrder.ForeignKeys);
        _stageAdded = true;
    }

    /// <summary>Adds or removes <paramref name="key"/> in the published maps (under <see cref="_lock"/>).</summary>
    private void Publish(LiveForeignKey key, bool add)
    {
        var byName = new Dictionary<string, LiveForeignKey>(_byName, StringComparer.Ordinal);
        if (add) byName[key.Name] = key;
        else byName.Remove(key.Name);
        _byChild = byName.Values.GroupBy(k => k.Child.Id).ToDictionary(g => g.Key, g => g.OrderBy(k => k.Name, StringComparer.Ordinal).ToArray());
        _byParent = byName.Values.GroupBy(k => k.Parent.Id).ToDictionary(g => g.Key, g => g.OrderBy(k => k.Name, StringComparer.Ordinal).ToArray());
        _byName = byName;
        // A write whose stage 1 saw the maps before this change is prepared again if led after it.
        Db.ChangeWriteStages();
    }
}
