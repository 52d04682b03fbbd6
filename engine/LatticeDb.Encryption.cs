using System.Globalization;
using System.Text;
using LatticeKV.Compaction;
using LatticeKV.Crypto;
using LatticeKV.Db;
using LatticeKV.Io;
using LatticeKV.Manifest;

namespace LatticeKV;

// Encryption at rest: the key registry at open, per-family sealing, rotation, master key change,
// crypto-shredding, and retiring keys nothing uses. The cryptography itself lives in Crypto/.
public sealed partial class LatticeDb
{
    /// <summary>
    /// Opens the key registry before anything else is read, so a wrong or missing key fails the
    /// open with <see cref="EncryptionKeyException"/> before any file changes. Creates it for a
    /// new encrypted database (<paramref name="creating"/>); an existing plaintext database gets
    /// one in <see cref="EncryptExistingDatabase"/>, once its MANIFEST is read.
    /// </summary>
    private void OpenKeyRegistry(bool creating)
    {
        var encryption = _options.Encryption;
        bool present = KeyRegistry.Find(_fs, _path).Count > 0;
        if (encryption is null)
        {
            if (present)
                throw new EncryptionKeyException($"the database at '{_path}' is encrypted: open it with DbOptions.Encryption (lkv: --passphrase-file, --key-file or LKV_PASSPHRASE)");
            return;
        }
        if (present) _keys = KeyRegistry.Open(new LogFramedRecords(_fs), _path, encryption.Source);
        else if (creating) _keys = KeyRegistry.Create(new LogFramedRecords(_fs), _path, encryption.Source, sealedFrom: 1, NowMs());
        AttachKeys();
    }

    /// <summary>
    /// A family stored as encrypted stays encrypted when the options given leave
    /// <see cref="ColumnFamilyOptions.Encrypted"/> unset: decrypting takes an explicit false. A
    /// scoped family stays marked scoped.
    /// </summary>
    private ColumnFamilyOptions KeepEncrypted(ColumnFamilyOptions options, Manifest.ColumnFamilyState state)
    {
        if (state.Options is not { } stored) return options;
        ColumnFamilyOptions old;
        try { old = ColumnFamilyOptionsCodec.Decode(stored); }
        catch (CorruptionException ex) { throw ex.At(FileNames.Manifest(_path, _versions.ManifestFileNumber)); }
        if (!options.EncryptedIsExplicit && old.Encrypted) options.Encrypted = true;
        // Scoped values stay scoped whether or not this open gives the selector.
        if (old.StoredScoped) options.StoredScoped = true;
        return options;
    }

    /// <summary>Turns an existing plaintext database into an encrypted one: logs and MANIFESTs from the next file number on are sealed.</summary>
    private void EncryptExistingDatabase()
    {
        if (_keys is not null || _options.Encryption is null) return;
        _keys = KeyRegistry.Create(new LogFramedRecords(_fs), _path, _options.Encryption.Source, _versions.NextFileNumberPeek, NowMs());
        AttachKeys();
    }

    private void AttachKeys()
    {
        _versions.Keys = _keys;
        _writePath.Logs.Keys = _keys;
        _tableCache.Options.Keys = _keys;
        _blobFiles.Keys = _keys;
    }

    /// <summary>
    /// Sets each family's sealing from its options: an encrypted family gets its active data key
    /// (a first one when it was just turned on); a family turned off retires its keys. Also
    /// records shredded families, whose logged writes replay must not bring back.
    /// </summary>
    private void SetUpFamilyKeys(IEnumerable<ColumnFamilyData> families, bool readOnly)
    {
        if (_keys is null) return;
        foreach (var cfd in families)
        {
            cfd.ShreddedThrough = _keys.ShreddedThrough(cfd.Id) ?? 0;
            SetUpScopes(cfd, isNew: false);
            if (readOnly) continue;
            SetFamilySealing(cfd);
        }
    }

    /// <summary>
    /// A scoped family reads and writes its values through its scope keys. Scoping is fixed when
    /// the family is created: its values carry a scope marker from the first write. Opened
    /// without its selector (a tool, a reader), the family stays scoped: reads, compaction and
    /// <see cref="ShredScope"/> work (a value names its scope key), writes are refused. An
    /// existing unscoped family with data cannot become scoped.
    /// </summary>
    private void SetUpScopes(ColumnFamilyData cfd, bool isNew)
    {
        bool wanted = cfd.Options.EncryptionScope is not null;
        bool stored = isNew ? wanted : cfd.Options.StoredScoped;
        if (stored && !wanted)
        {
            cfd.SetScopes(new ScopeCipher(_keys!, cfd.Id));
            return;
        }
        if (wanted && !stored && (cfd.State.Current.AllFiles.Any() || !cfd.Mem.IsEmpty))
            throw new InvalidArgumentException($"Column family '{cfd.Name}' already holds unscoped values: EncryptionScope can only be set on a new or empty family.", "EncryptionScope");
        if (wanted) cfd.SetScopes(new ScopeCipher(_keys!, cfd.Id));
    }

    /// <summary>
    /// Adds scope sealing to stage 1 of the write path once a scoped family exists: writes to
    /// databases without one pay nothing for it. Called at open and when a scoped family is created.
    /// </summary>
    private void EnsureScopeStage()
    {
        lock (_mutex)
        {
            if (_scopeStageAdded) return;
            _scopeStageAdded = true;
        }
        _writePath.AddStage(new ScopeSealingStage(this, _options.Clock), WriteStageOrder.ScopeSealing);
    }

    /// <summary>Whether <paramref name="columnFamily"/>'s values are scoped (tools check before they change anything).</summary>
    internal bool HasScopes(ColumnFamilyHandle columnFamily)
    {
        CheckHandle(columnFamily);
        return columnFamily.Data.Scopes is not null;
    }

    /// <summary>Unscoped values found in the logs of a family now opened as scoped (a first open with the selector): refused like tables.</summary>
    private static void CheckScopesAfterReplay(IEnumerable<ColumnFamilyData> families)
    {
        foreach (var cfd in families)
            if (cfd.Scopes is not null && !cfd.Mem.IsEmpty && !(cfd.State.Options is { } bytes && ColumnFamilyOptionsCodec.Decode(bytes).StoredScoped))
                throw new InvalidArgumentException($"Column family '{cfd.Name}' already holds unscoped values: EncryptionScope can only be set on a new or empty family.", "EncryptionScope");
    }

    /// <summary>
    /// Crypto-shreds one scope of a scoped family: its keys are destroyed, so its values become
    /// unreadable at once wherever they are (memtables, tables, logs, copies): reads treat them
    /// as deleted and compaction drops them. The family's other scopes are untouched. The keys
    /// (not values) of the scope's entries stay in tables, sealed under the family key, until
    /// compaction removes them; <see cref="CompactRange(ColumnFamilyHandle, byte[], byte[])"/> hastens that.
    /// </summary>
    public void ShredScope(ColumnFamilyHandle columnFamily, ReadOnlySpan<byte> scope)
    {
        CheckHandle(columnFamily);
        ThrowIfReadOnly("shredding a scope");
        if (scope.IsEmpty) throw new InvalidArgumentException("The scope must not be empty.", nameof(scope));
        var cfd = columnFamily.Data;
        var keys = RequireEncryptedFamily(cfd);
        if (cfd.Scopes is null) throw new InvalidArgumentException($"Column family '{cfd.Name}' has no EncryptionScope.", nameof(columnFamily));
        var ids = keys.ScopeKeyIds(cfd.Id, scope);
        if (ids.Count == 0) return;
        keys.Destroy(ids);
        cfd.Scopes.Forget(ids);
    }

    private void SetFamilySealing(ColumnFamilyData cfd)
    {
        var keys = _keys!;
        var active = keys.Active(KeyPurpose.Data, cfd.Id);
        if (cfd.Options.Encrypted)
        {
            active ??= keys.CreateKey(KeyPurpose.Data, cfd.Id, [], NowMs());
            lock (_mutex) cfd.SetSealing(new TableSealing(active, keys.DatabaseId.ToArray()));
        }
        else
        {
            if (active is not null) keys.Retire([active.Id]);
            lock (_mutex) cfd.SetSealing(null);
        }
    }

    /// <summary>A shredded family's files whose keys are gone (a crash came between the shred and its MANIFEST edit): dropped at open.</summary>
    private void DropShreddedFiles(IEnumerable<ColumnFamilyData> families, List<VersionEdit> edits)
    {
        if (_keys is null) return;
        foreach (var cfd in families)
        {
            var edit = new VersionEdit { ColumnFamilyId = cfd.Id };
            var v = cfd.State.Current;
            for (int level = 0; level < v.NumLevels; level++)
                foreach (var f in v.Files(level))
                    if (IsShredded(f)) edit.DeleteFile(level, f.Number);
            DropBlobFiles(edit, v, b => b.KeyId != 0 && _keys?.Find(b.KeyId) is { State: KeyState.Destroyed });
            if (edit.DeletedFiles.Count > 0 || edit.BlobGarbage.Count > 0) edits.Add(edit);
        }
    }

    /// <summary>True for a table sealed with a destroyed key: unreadable by design, never checked or healed.</summary>
    private bool IsShredded(FileMetaData f) => f.KeyId != 0 && _keys?.Find(f.KeyId) is { State: KeyState.Destroyed };

    /// <summary>
    /// Starts a new key generation for <paramref name="columnFamily"/>: new tables are sealed with
    /// it at once, and background compaction rewrites older ones at
    /// <see cref="EncryptionOptions.ReencryptionBytesPerSecond"/> (<see cref="CompactRange(ColumnFamilyHandle, byte[], byte[])"/>
    /// finishes it). An old key is destroyed once no live file, log or snapshot needs it.
    /// Property <c>lattice.encryption.bytes-per-generation</c> shows the progress.
    /// </summary>
    public void RotateEncryptionKey(ColumnFamilyHandle columnFamily)
    {
        CheckHandle(columnFamily);
        ThrowIfReadOnly("rotating an encryption key");
        var cfd = columnFamily.Data;
        var keys = RequireEncryptedFamily(cfd);
        lock (_columnFamilyLock)
        {
            var old = keys.Active(KeyPurpose.Data, cfd.Id);
            var fresh = keys.CreateKey(KeyPurpose.Data, cfd.Id, [], NowMs());
            lock (_mutex)
            {
                cfd.SetSealing(new TableSealing(fresh, keys.DatabaseId.ToArray()));
                Monitor.PulseAll(_mutex); // the compaction thread has re-encryption work now
            }
            if (old is not null) keys.Retire([old.Id]);
        }
    }

    /// <summary>
    /// Rewraps the key registry under a new master key (a new passphrase, key or provider). Only
    /// the registry is rewritten: it takes the key derivation plus milliseconds, whatever the
    /// size of the data. The old passphrase or key no longer opens the database.
    /// </summary>
    public void ChangeMasterKey(EncryptionOptions encryption)
    {
        ArgumentNullException.ThrowIfNull(encryption);
        ThrowIfClosed();
        ThrowIfReadOnly("changing the master key");
        encryption.Validate();
        var keys = _keys ?? throw new InvalidArgumentException("This database is not encrypted: open it with DbOptions.Encryption first.", nameof(encryption));
        keys.ChangeMasterKey(encryption.Source);
    }

    /// <summary>
    /// Crypto-shreds <paramref name="columnFamily"/>: every key that sealed its data is destroyed,
    /// so every copy of that data (tables, logs, MANIFEST records, and copies of them made
    /// elsewhere) can never be read again. The family stays, empty, with a fresh key. Other
    /// families are untouched (their memtables are flushed, so the logs that also held the
    /// shredded data can go, and the key that sealed those logs is destroyed with them).
    /// </summary>
    public void ShredColumnFamily(ColumnFamilyHandle columnFamily)
    {
        CheckHandle(columnFamily);
        ThrowIfReadOnly("shredding a column family");
        var cfd = columnFamily.Data;
        var keys = RequireEncryptedFamily(cfd);
        lock (_columnFamilyLock)
        {
            lock (_mutex) _manualCompactions++; // no new automatic compaction sealing with the old key
            try
            {
                var oldMetadata = keys.Active(KeyPurpose.Metadata, 0);
                // The next log and MANIFEST are sealed with a new metadata key; the old one goes once the logs that hold the shredded writes are gone.
                var metadata = keys.CreateKey(KeyPurpose.Metadata, 0, [], NowMs());
                if (oldMetadata is not null) keys.Retire([oldMetadata.Id]);
                _writePath.RunExclusive(() =>
                {
                    // No write is in flight now; a flush or compaction of the family still running
                    // would install tables sealed with the keys about to go: let it finish first.
                    // Neither needs write leadership. The mutex is then held until the memtables
                    // are gone, so no flush of them can start.
                    long log;
                    lock (_mutex)
                    {
                        while (cfd.ImmBeingFlushed > 0 || cfd.State.Current.AllFiles.Any(f => f.BeingCompacted))
                        {
                            ThrowIfClosed();
                            Monitor.Wait(_mutex);
                        }
                        ulong through = _writePath.LastSequence;
                        var fresh = keys.CreateKey(KeyPurpose.Data, cfd.Id, [], NowMs());
                        // New tables use the fresh key before the old ones go, even if destroying them fails.
                        cfd.SetSealing(new TableSealing(fresh, keys.DatabaseId.ToArray()));
                        var doomed = keys.Keys().Where(k => k.ColumnFamilyId == cfd.Id && k.Id != fresh.Id && k.Purpose is KeyPurpose.Data or KeyPurpose.Scope).Select(k => k.Id).ToList();
                        // From this fsync on, nothing the family held can be read again.
                        keys.Destroy(doomed, (cfd.Id, through));
                        log = _writePath.RollLogLocked();
                        cfd.ShreddedThrough = through;
                        cfd.DiscardMemTables(log);
                    }
                    var edit = new VersionEdit { ColumnFamilyId = cfd.Id, LogNumber = log };
                    var v = cfd.State.Current;
                    for (int level = 0; level < v.NumLevels; level++)
                        foreach (var f in v.Files(level)) edit.DeleteFile(level, f.Number);
                    DropBlobFiles(edit, v, _ => true);
                    var edits = new List<VersionEdit> { edit };
                    // Families with nothing unflushed no longer need the old logs either.
                    lock (_mutex) AddIdleLogNumberEdits(edits, cfd);
                    _versions.LogAndApply(edits, () =>
                    {
                        cfd.InstallSuperVersion();
                        Monitor.PulseAll(_mutex);
                    });
                    foreach (var f in v.AllFiles) _tableCache.Evict(f.Number);
                    foreach (var b in v.BlobFiles.Keys) _blobFiles.Evict(b);
                });
                // The other families' unflushed writes share those logs: flushing them lets the logs go.
                FlushColumnFamilies([.. _columnFamilies.Values.Where(c => !c.Dropped && c != cfd)]);
                _versions.WriteNewManifest();
            }
            finally
            {
                lock (_mutex)
                {
                    _manualCompactions--;
                    Monitor.PulseAll(_mutex);
                }
            }
        }
        PurgeObsoleteFiles();
    }

    private KeyRegistry RequireEncryptedFamily(ColumnFamilyData cfd)
    {
        var keys = _keys ?? throw new InvalidArgumentException("This database is not encrypted (DbOptions.Encryption).", "columnFamily");
        if (!cfd.Options.Encrypted) throw new InvalidArgumentException($"Column family '{cfd.Name}' is not encrypted (ColumnFamilyOptions.Encrypted).", "columnFamily");
        return keys;
    }

    /// <summary>
    /// Registers what else still needs keys (the seam for retained backups and synced copies,
    /// which keep files sealed with retired keys): a key any holder names is never destroyed.
    /// Returns a handle that removes the holder.
    /// </summary>
    internal IDisposable AddKeyHolder(Func<IEnumerable<uint>> keysInUse)
    {
        lock (_mutex) _keyHolders.Add(keysInUse);
        return new KeyHolderRegistration(this, keysInUse);
    }

    private sealed class KeyHolderRegistration(LatticeDb db, Func<IEnumerable<uint>> holder) : IDisposable
    {
        public void Dispose()
        {
            lock (db._mutex) db._keyHolders.Remove(holder);
        }
    }

    /// <summary>
    /// Destroys retired keys that nothing needs any more: no table of any live version
    /// (snapshots and iterators included), no log not yet deleted, not the live MANIFEST, no
    /// running job, no registered holder (<see cref="AddKeyHolder"/>). Runs after obsolete files are deleted.
    /// </summary>
    private void DestroyUnusedKeys()
    {
        var keys = _keys;
        if (keys is null || _readOnly) return;
        var retired = keys.Keys().Where(k => k.State == KeyState.Retired).ToList();
        if (retired.Count == 0) return;
        HashSet<uint> inUse;
        lock (_mutex)
        {
            if (_versions.WriteUncertain) return;
            inUse = _versions.LiveKeyIds();
            inUse.UnionWith(_writePath.Logs.KeyIdsInUse);
            inUse.Add(_versions.ManifestKeyId);
            // A job writing now seals with the key it started with.
            inUse.UnionWith(_keysInJobs.Keys);
            foreach (var holder in _keyHolders) inUse.UnionWith(holder());
        }
        var unused = retired.Where(k => !inUse.Contains(k.Id)).Select(k => k.Id).ToList();
        if (unused.Count == 0) return;
        try { keys.Destroy(unused); }
        catch (Exception ex) when (ex is LatticeIOException or IOException) { } // retried after the next purge
    }

    /// <summary>
    /// A file the compaction thread should rewrite under its family's current key (a rotated
    /// key, or encryption turned on or off), when the pacer allows. Caller holds the mutex.
    /// </summary>
    private CompactionPlan? PickReencryption(out ColumnFamilyData? family, out long waitMs)
    {
        family = null;
        waitMs = -1;
        if (_keys is null || _reencryption is not { BytesPerSecond: > 0 } pacer) return null;
        long now = NowMs();
        foreach (var cfd in _columnFamilies.Values)
        {
            if (cfd.Dropped) continue;
            var v = cfd.State.Current;
            uint desired = cfd.DesiredKeyId;
            for (int level = 0; level < v.NumLevels; level++)
            {
                foreach (var f in v.Files(level))
                {
                    if (f.KeyId == desired || f.BeingCompacted) continue;
                    if (!pacer.MayStart(now, out waitMs)) return null;
                    var outputLevel = level == 0 ? 1 : level;
                    var c = _picker.PickManual(cfd.Id, v, level, outputLevel, f.SmallestUserKey.ToArray(), f.LargestUserKey.ToArray(), out bool busy);
                    if (c is null || busy) continue;
                    c.ForceRewrite = true;
                    pacer.Started(c.InputBytes, now);
                    family = cfd;
                    return c;
                }
            }
        }
        return null;
    }

    /// <summary>A job's copy of the family's table options; the key it seals with counts as in use until <see cref="EndJob"/>.</summary>
    private Sst.TableBuilderOptions BeginJob(ColumnFamilyData cfd)
    {
        lock (_mutex)
        {
            var options = cfd.BuilderOptions with { CreationTimeMs = NowMs() };
            if (options.Sealing?.Key.Id is uint id) _keysInJobs[id] = _keysInJobs.GetValueOrDefault(id) + 1;
            return options;
        }
    }

    private void EndJob(Sst.TableBuilderOptions options)
    {
        if (options.Sealing?.Key.Id is not uint id) return;
        lock (_mutex)
            if (--_keysInJobs[id] == 0) _keysInJobs.Remove(id);
    }

    /// <summary>Files still sealed under another key than their family's, which background compaction will rewrite. Caller holds the mutex.</summary>
    private bool ReencryptionPending()
        => _keys is not null && _reencryption is { BytesPerSecond: > 0 }
           && _columnFamilies.Values.Any(c => !c.Dropped && c.State.Current.AllFiles.Any(f => f.KeyId != c.DesiredKeyId));

    /// <summary>Bytes of live tables and blob files per key generation of <paramref name="cfd"/>: "plaintext=N gen1=N ...".</summary>
    private string BytesPerGeneration(ColumnFamilyData cfd, Manifest.LsmVersion v)
    {
        var byKey = new SortedDictionary<string, long>(StringComparer.Ordinal);
        void Add(uint keyId, long size)
        {
            string name = keyId == 0 ? "plaintext" : _keys?.Find(keyId) is { } k ? "gen" + k.Generation.ToString(CultureInfo.InvariantCulture) : "key" + keyId.ToString(CultureInfo.InvariantCulture);
            byKey[name] = byKey.GetValueOrDefault(name) + size;
        }
        foreach (var f in v.AllFiles) Add(f.KeyId, f.FileSize);
        foreach (var b in v.BlobFiles.Values) Add(b.KeyId, b.FileSize);
        var sb = new StringBuilder();
        foreach (var (name, bytes) in byKey) sb.Append(name).Append('=').Append(bytes.ToString(CultureInfo.InvariantCulture)).Append(' ');
        return sb.ToString().TrimEnd();
    }

    /// <summary>
    /// The generation of <paramref name="cfd"/>'s active data key, or 0 when its new files are
    /// plaintext. A read-only instance seals nothing, so it reports the registry's active key.
    /// </summary>
    private uint KeyGeneration(ColumnFamilyData cfd)
        => cfd.BuilderOptions.Sealing?.Key.Generation ?? (_readOnly ? _keys?.Active(KeyPurpose.Data, cfd.Id)?.Generation ?? 0 : 0);
}
