using LatticeKV.Db;
using LatticeKV.Io;
using LatticeKV.Manifest;
using LatticeKV.Wal;

namespace LatticeKV;

// Column families: create, drop, look up, list.
public sealed partial class LatticeDb
{

    /// <summary>
    /// Creates a column family. Throws <see cref="InvalidArgumentException"/> when the name is
    /// empty, longer than 255 characters or already used.
    /// </summary>
    public ColumnFamilyHandle CreateColumnFamily(string name, ColumnFamilyOptions? options = null)
    {
        ThrowIfClosed();
        ThrowIfReadOnly("creating a column family");
        if (string.IsNullOrEmpty(name) || name.Length > 255 || name.Contains('\n', StringComparison.Ordinal))
            throw new InvalidArgumentException("Column family names must be 1 to 255 characters without newlines.", nameof(name));
        if (Indexing.IndexFamilies.IsHidden(name))
            throw new InvalidArgumentException($"Column family names starting with '{Indexing.IndexFamilies.ReservedPrefix}' are reserved for the database's own families.", nameof(name));
        return CreateColumnFamilyCore(name, options);
    }

    /// <summary>Creates a column family, hidden ones included (indexes create theirs here).</summary>
    internal ColumnFamilyHandle CreateColumnFamilyCore(string name, ColumnFamilyOptions? options)
    {
        options = options?.Clone() ?? new ColumnFamilyOptions();
        options.Validate(name);
        if (options.Encrypted && _keys is null)
            throw new InvalidArgumentException($"Column family '{name}' is Encrypted but the database has no DbOptions.Encryption.", nameof(options));
        ColumnFamilyHandle handle;
        lock (_columnFamilyLock)
        {
            ThrowIfClosed();
            if (_columnFamilies.Values.Any(c => !c.Dropped && c.Name == name))
                throw new InvalidArgumentException($"Column family '{name}' already exists.", nameof(name));
            uint id = _versions.NextColumnFamilyId();
            long log = _writePath.Logs.CurrentNumber;
            _fs.SyncDirectory(_path); // the log the new family starts at must survive a power loss
            var edit = new VersionEdit
            {
                ColumnFamilyId = id,
                ColumnFamilyAdd = name,
                ColumnFamilyOptions = ColumnFamilyOptionsCodec.Encode(options),
                LogNumber = log,
                FormatVersion = FeatureFormatVersionFor(name, options),
            };
            ColumnFamilyData? created = null;
            _versions.LogAndApply([edit], () =>
            {
                var state = _versions.GetColumnFamily(id)!;
                created = new ColumnFamilyData(state, options, _options.WriteBufferSize, _cmp, _options.Clock, _writePath.Logs.CurrentNumber);
                created.Handle = new ColumnFamilyHandle(this, created);
                _columnFamilies = new Dictionary<uint, ColumnFamilyData>(_columnFamilies) { [id] = created };
            });
            if (_keys is not null)
            {
                SetFamilySealing(created!);
                if (options.EncryptionScope is not null)
                {
                    created!.SetScopes(new Crypto.ScopeCipher(_keys, id));
                    EnsureScopeStage();
                }
            }
            handle = created!.Handle!;
        }
        EnsureValidationStage([handle.Data]);
        // Before the handle is returned: no write reaches the family unrecorded.
        if (options.Replicated) _replication!.Add(handle);
        return handle;
    }

    /// <summary>
    /// Drops a column family and all its data. The default column family cannot be dropped.
    /// Iterators already open on it keep working until disposed; the handle becomes unusable.
    /// </summary>
    public void DropColumnFamily(ColumnFamilyHandle columnFamily)
    {
        CheckHandle(columnFamily);
        ThrowIfReadOnly("dropping a column family");
        ThrowIfReferenced(columnFamily);
        ThrowIfIndexed(columnFamily);
        DropColumnFamilyCore(columnFamily);
    }

    /// <summary>Drops a column family, hidden ones included.</summary>
    internal void DropColumnFamilyCore(ColumnFamilyHandle columnFamily)
    {
        if (columnFamily.Id == VersionSet.DefaultColumnFamilyId) throw new InvalidArgumentException("The default column family cannot be dropped.", nameof(columnFamily));
        lock (_columnFamilyLock)
        {
            var cfd = columnFamily.Data;
            if (cfd.Dropped) throw new ColumnFamilyNotFoundException(cfd.Name);
            // Let an in-flight flush of this column family finish before its state disappears.
            lock (_mutex)
                while (cfd.ImmBeingFlushed > 0) Monitor.Wait(_mutex);
            // As the write leader: no write group is inserting into the family's memtables when
            // their last reference goes (their arenas are reused at once).
            _writePath.RunExclusive(() =>
            {
                _versions.LogAndApply([new VersionEdit { ColumnFamilyId = cfd.Id, ColumnFamilyDrop = true }], () =>
                {
                    cfd.Dropped = true;
                    var next = new Dictionary<uint, ColumnFamilyData>(_columnFamilies);
                    next.Remove(cfd.Id);
                    _columnFamilies = next;
                    Monitor.PulseAll(_mutex);
                });
                cfd.ReleaseSuperVersion();
            });
            _replication?.Remove(cfd.Id);
            // Its keys go once no live version needs its files.
            _keys?.Retire(_keys.Keys().Where(k => k.ColumnFamilyId == cfd.Id && k.Purpose != Crypto.KeyPurpose.Metadata && k.State == Crypto.KeyState.Active).Select(k => k.Id));
        }
        PurgeObsoleteFiles();
    }

    /// <summary>The handle of column family <paramref name="name"/>; throws <see cref="ColumnFamilyNotFoundException"/> if absent.</summary>
    public ColumnFamilyHandle GetColumnFamily(string name)
    {
        ThrowIfClosed();
        ArgumentNullException.ThrowIfNull(name);
        foreach (var cfd in _columnFamilies.Values)
            if (!cfd.Dropped && cfd.Name == name && !Indexing.IndexFamilies.IsHidden(name)) return cfd.Handle!;
        throw new ColumnFamilyNotFoundException(name);
    }

    /// <summary>True and the handle when column family <paramref name="name"/> exists.</summary>
    public bool TryGetColumnFamily(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ColumnFamilyHandle? handle)
    {
        ThrowIfClosed();
        ArgumentNullException.ThrowIfNull(name);
        foreach (var cfd in _columnFamilies.Values)
        {
            if (!cfd.Dropped && cfd.Name == name && !Indexing.IndexFamilies.IsHidden(name))
            {
                handle = cfd.Handle!;
                return true;
            }
        }
        handle = null;
        return false;
    }

    /// <summary>Handles of every column family of this open database, default first (the hidden families of indexes are not listed).</summary>
    public IReadOnlyList<ColumnFamilyHandle> ColumnFamilies
    {
        get
        {
            ThrowIfClosed();
            return [.. _columnFamilies.Values.Where(c => !c.Dropped && !Indexing.IndexFamilies.IsHidden(c.Name)).OrderBy(c => c.Id).Select(c => c.Handle!)];
        }
    }

    /// <summary>
    /// Names of the column families of the database at <paramref name="path"/>, read from its
    /// MANIFEST without opening it (so it works while another process has it open).
    /// </summary>
    /// <exception cref="EncryptionKeyException">The database is encrypted: use the overload taking its <see cref="EncryptionOptions"/>.</exception>
    public static IReadOnlyList<string> ListColumnFamilies(string path) => ListColumnFamilies(path, RealFileSystem.Instance, null);

    /// <summary>
    /// Names of the column families of the database at <paramref name="path"/>, which may be
    /// encrypted (its MANIFEST is sealed, so the names need <paramref name="encryption"/>).
    /// </summary>
    /// <exception cref="EncryptionKeyException">The database is encrypted and <paramref name="encryption"/> is missing or wrong.</exception>
    public static IReadOnlyList<string> ListColumnFamilies(string path, EncryptionOptions? encryption)
        => ListColumnFamilies(System.IO.Path.GetFullPath(path), RealFileSystem.Instance, encryption);

    internal static IReadOnlyList<string> ListColumnFamilies(string path, IFileSystem fs, EncryptionOptions? encryption = null)
    {
        if (!fs.FileExists(FileNames.CurrentPath(path))) throw new DbNotFoundException(path);
        using var keys = DatabaseKeys.Open(fs, path, encryption, "listing its column families");
        long manifest = CurrentFile.Read(fs, path);
        string manifestPath = FileNames.Manifest(path, manifest);
        var names = new SortedDictionary<uint, string> { [VersionSet.DefaultColumnFamilyId] = VersionSet.DefaultColumnFamilyName };
        IRandomAccessFile file;
        try { file = fs.OpenRead(manifestPath); }
        catch (FileNotFoundException ex) { throw new CorruptionException("MANIFEST named by CURRENT is missing", manifestPath, -1, ex); }
        using (file)
        {
            var reader = new LogReader(file);
            foreach (var (record, offset) in VersionSet.ReadRecords(reader, keys, manifest, manifestPath))
            {
                if (reader.Issues.Count > 0) throw new CorruptionException("MANIFEST damaged: " + reader.Issues[0].Reason, manifestPath, reader.Issues[0].Offset);
                List<VersionEdit> edits;
                try { edits = VersionEdit.DecodeRecord(record, 64); }
                catch (CorruptionException ex) { throw ex.At(manifestPath, offset); }
                foreach (var e in edits)
                {
                    if (e.ColumnFamilyAdd is not null) names[e.ColumnFamilyId] = e.ColumnFamilyAdd;
                    if (e.ColumnFamilyDrop) names.Remove(e.ColumnFamilyId);
                }
            }
        }
        return [.. names.Values.Where(n => !Indexing.IndexFamilies.IsHidden(n))];
    }
}
