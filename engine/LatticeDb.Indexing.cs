using LatticeKV.Db;
using LatticeKV.Indexing;

namespace LatticeKV;

// Secondary indexes and full-text search (engine/Indexing): the public members, and what the
// index catalog needs from the database.
public sealed partial class LatticeDb
{
    /// <summary>
    /// Creates a secondary index of <paramref name="columnFamily"/>. New writes maintain it at
    /// once, in the same log record as the data; a background build indexes the existing data
    /// (State Building, then Ready: <see cref="IndexHandle.WaitUntilReady"/>). Its entries live in
    /// a hidden column family, encrypted when the indexed family is. A scope-sealed family
    /// (<see cref="ColumnFamilyOptions.EncryptionScope"/>) cannot be indexed.
    /// </summary>
    /// <exception cref="InvalidArgumentException">The definition is invalid, the name is taken, or the family cannot be indexed.</exception>
    public IndexHandle CreateIndex(ColumnFamilyHandle columnFamily, IndexDefinition definition)
    {
        CheckHandle(columnFamily);
        ArgumentNullException.ThrowIfNull(definition);
        ThrowIfReadOnly("creating an index");
        ThrowIfOwnedIndexName(definition.Name);
        return _indexes!.Create(columnFamily, definition).Handle;
    }

    /// <summary>Drops an index and its entries; a drop interrupted by a crash finishes at the next open.</summary>
    public void DropIndex(IndexHandle index)
    {
        ArgumentNullException.ThrowIfNull(index);
        ThrowIfClosed();
        ThrowIfReadOnly("dropping an index");
        ThrowIfOwnedIndexName(index.Index.Name);
        _indexes!.Drop(index.Index);
    }

    /// <summary>The indexes of this database, by name.</summary>
    public IReadOnlyList<IndexHandle> ListIndexes()
    {
        ThrowIfClosed();
        return [.. _indexes!.All.Where(i => !Integrity.ForeignKeyFamilies.IsOwnedIndex(i.Name)).OrderBy(i => i.Name, StringComparer.Ordinal).Select(i => i.Handle)];
    }

    /// <summary>The index named <paramref name="name"/>; throws <see cref="InvalidArgumentException"/> when there is none.</summary>
    public IndexHandle GetIndex(string name)
    {
        ThrowIfClosed();
        ArgumentNullException.ThrowIfNull(name);
        return _indexes!.TryGet(name, out var index) ? index.Handle : throw new InvalidArgumentException($"Index '{name}' does not exist.", nameof(name));
    }

    /// <summary>
    /// The entries of <paramref name="index"/> whose index key is in [<paramref name="from"/>,
    /// <paramref name="to"/>) (an empty <paramref name="to"/> has no upper bound), ordered by
    /// index key then primary key, with their primary values, all as of one snapshot.
    /// </summary>
    /// <exception cref="IndexNotReadyException">The index is still building (or failed).</exception>
    public IndexIterator QueryIndex(IndexHandle index, ReadOnlySpan<byte> from, ReadOnlySpan<byte> to, ReadOptions? options = null)
    {
        var live = CheckIndex(index);
        return new IndexIterator(this, live, from.IsEmpty ? null : IndexKeyEncoding.Escaped(from), to.IsEmpty ? null : IndexKeyEncoding.Escaped(to), options);
    }

    /// <summary>The entries of <paramref name="index"/> whose index key starts with <paramref name="prefix"/>; see <see cref="QueryIndex"/>.</summary>
    public IndexIterator QueryIndexPrefix(IndexHandle index, ReadOnlySpan<byte> prefix, ReadOptions? options = null)
    {
        var live = CheckIndex(index);
        byte[] lower = IndexKeyEncoding.Escaped(prefix);
        return new IndexIterator(this, live, lower.Length == 0 ? null : lower, IndexKeyEncoding.PrefixEnd(lower), options);
    }

    /// <summary>
    /// Searches a text index (<see cref="IndexExtractors.Text"/>): documents holding every term
    /// of <paramref name="query"/> (words as the index splits them; <c>term*</c> matches terms
    /// starting with <c>term</c>), best BM25 score first, ties by primary key; at most
    /// <paramref name="limit"/>. As of <paramref name="options"/>' snapshot, or now.
    /// </summary>
    /// <exception cref="IndexNotReadyException">The index is still building.</exception>
    public IReadOnlyList<SearchResult> Search(IndexHandle index, string query, int limit, ReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(query);
        var live = CheckIndex(index);
        if (!live.IsText) throw new InvalidArgumentException($"Index '{live.Name}' is not a text index.", nameof(index));
        if (limit < 1) throw new InvalidArgumentException("The limit must be positive.", nameof(limit));
        return TextSearch.Run(this, live, query, limit, options);
    }

    /// <summary>Checks every index against its primary data (as <c>lkv verify</c> does).</summary>
    public IReadOnlyList<IndexVerification> VerifyIndexes()
    {
        ThrowIfClosed();
        return [.. _indexes!.All.OrderBy(i => i.Name, StringComparer.Ordinal).Select(i => IndexVerifier.Verify(this, i))];
    }

    private LiveIndex CheckIndex(IndexHandle index)
    {
        ArgumentNullException.ThrowIfNull(index);
        ThrowIfClosed();
        var live = index.Index;
        if (!ReferenceEquals(live.Primary.Db, this)) throw new InvalidArgumentException("The index handle belongs to another database.", nameof(index));
        if (!_indexes!.TryGet(live.Name, out var current) || current != live) throw new InvalidArgumentException($"Index '{live.Name}' has been dropped.", nameof(index));
        live.ThrowIfNotReady();
        return live;
    }

    /// <summary>Loads the stored index definitions (at open, before background work starts).</summary>
    private void OpenIndexes()
    {
        _indexes = new IndexCatalog(this, new Dictionary<string, IndexExtractor>(_options.IndexExtractors, StringComparer.Ordinal), _options.IndexMaintenance);
        _indexes.Load();
    }

    /// <summary>Finishes interrupted drops and resumes builds (at open, once background work runs).</summary>
    private void ResumeIndexes() => _indexes!.Resume();

    /// <summary>A family with indexes cannot be dropped until they are.</summary>
    private void ThrowIfIndexed(ColumnFamilyHandle columnFamily)
    {
        if (_indexes is not null && _indexes.ByPrimary.ContainsKey(columnFamily.Id))
            throw new InvalidArgumentException($"Column family '{columnFamily.Name}' has indexes: drop them first.", nameof(columnFamily));
    }

    internal bool HasEncryption => _keys is not null;

    /// <summary>Any family by name, hidden ones included.</summary>
    internal bool TryGetFamilyAnyName(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ColumnFamilyHandle? handle)
    {
        handle = _columnFamilies.Values.FirstOrDefault(c => !c.Dropped && c.Name == name)?.Handle;
        return handle is not null;
    }

    internal ColumnFamilyHandle? FindFamily(uint id) => _columnFamilies.TryGetValue(id, out var cfd) && !cfd.Dropped ? cfd.Handle : null;

    internal IEnumerable<ColumnFamilyHandle> HiddenFamilies() => [.. _columnFamilies.Values.Where(c => !c.Dropped && IndexFamilies.IsHidden(c.Name)).Select(c => c.Handle!)];

    internal void AddWriteStage(IWriteStage stage, WriteStageOrder order) => _writePath.AddStage(stage, order);

    /// <summary>Writes prepared before now are prepared again if led later (an index was published or withdrawn).</summary>
    internal void ChangeWriteStages() => _writePath.ChangeStages();

    /// <summary>Returns once every write queued before the call is in the memtables.</summary>
    internal void WaitForQueuedWrites() => _writePath.RunExclusive(() => { });

    internal IndexCatalog? Indexes => _indexes;
}
