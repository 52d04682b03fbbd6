using LatticeKV.Io;
using LatticeKV.Keys;
using LatticeKV.Wal;

namespace LatticeKV.Manifest;

/// <summary>
/// The MANIFEST and the versions it describes: every column family's current
/// <see cref="LsmVersion"/>, WAL horizon and options, plus the file-number counter.
/// <see cref="LogAndApply"/> is the only way state changes: edits are made durable in the
/// MANIFEST first, then installed. Lock order: the manifest lock, then the database mutex.
/// </summary>
internal sealed class VersionSet : IDisposable
{
    /// <summary>
    /// Database format version written to the MANIFEST (FORMAT.md §9, §10). 2: the WAL may hold
    /// batches with the 12-byte header (no commit time); every earlier version is still read.
    /// </summary>
    public const uint FormatVersion = 3;

    /// <summary>
    /// Database format of an encrypted database (FORMAT.md §10, §11): a key registry, sealed
    /// MANIFEST and log records, sealed tables. Plaintext databases stay at <see cref="FormatVersion"/>.
    /// </summary>
    public const uint EncryptedFormatVersion = 4;

    /// <summary>
    /// Database format of a database with a column family that has a merge operator (FORMAT.md
    /// §4.1, §6.1), plain or encrypted: its logs and tables may hold merge operands (kind 4),
    /// which older builds would not understand. Databases without one stay at 3 or 4.
    /// </summary>
    public const uint MergeFormatVersion = 5;

    /// <summary>
    /// Database format of a database with a replicated column family (FORMAT.md §15): an older
    /// build would write to it without recording changes. Databases without one stay at 3 to 5.
    /// </summary>
    public const uint ReplicationFormatVersion = 6;

    /// <summary>
    /// Database format of a database with a validator, a foreign key or schema versions (FORMAT.md
    /// §18): an older build would write to it without enforcing them, or open data a migration
    /// had not yet reshaped. Databases without any stay at 3 to 6.
    /// </summary>
    public const uint IntegrityFormatVersion = 7;

    /// <summary>
    /// Database format of a database whose tables hold zstd blocks (FORMAT.md §19):
    /// recorded by the flush, compaction or repair edit that adds the first such table, as an older
    /// build could not read them. Databases that never wrote one stay at 3 to 7.
    /// </summary>
    public const uint LargeValueFormatVersion = 8;

    /// <summary>
    /// Database format of a database that has written a blob file (FORMAT.md §21): its tables
    /// hold blob references (kind 5) and its MANIFEST blob-file edits, which an older build would
    /// misread. Recorded by the flush or compaction edit adding the first blob file. Databases
    /// that never wrote one stay at 3 to 8.
    /// </summary>
    public const uint BlobFormatVersion = 9;

    /// <summary>
    /// Database format of a database that has written a sealed blob file (an encrypted family's,
    /// FORMAT.md §21.7): blob file version 2 and MANIFEST tag 15, which a format 9 build would
    /// refuse file by file or misread. Recorded by the edit adding the first such file; databases
    /// that never wrote one stay at 3 to 9.
    /// </summary>
    public const uint SealedBlobFormatVersion = 10;

    /// <summary>
    /// Database format of every encrypted database this build writes (FORMAT.md §12, compact
    /// sealed log records): its write-ahead logs carry a cipher header and records without their
    /// own key id and nonce, which a format 10 build would refuse record by record. Written by the
    /// open (or repair) that seals, before the first compact log record; plaintext databases are
    /// unaffected.
    /// </summary>
    public const uint CompactSealedLogFormatVersion = 11;

    /// <summary>The newest database format this build reads.</summary>
    public const uint MaxFormatVersion = CompactSealedLogFormatVersion;

    /// <summary>The format version a database of this kind records.</summary>
    public static uint FormatVersionFor(bool encrypted, bool merges, bool replication = false, bool integrity = false, bool largeValues = false,
        bool blobs = false, bool sealedBlobs = false)
        => encrypted ? CompactSealedLogFormatVersion : sealedBlobs ? SealedBlobFormatVersion : blobs ? BlobFormatVersion : largeValues ? LargeValueFormatVersion : integrity ? IntegrityFormatVersion : replication ? ReplicationFormatVersion : merges ? MergeFormatVersion : encrypted ? EncryptedFormatVersion : FormatVersion;

    /// <summary>Set once a blob file is written: from then on the database records <see cref="BlobFormatVersion"/>.</summary>
    public bool BlobsEnabled { get; set; }

    /// <summary>Set once a sealed blob file is written: from then on the database records <see cref="SealedBlobFormatVersion"/>.</summary>
    public bool SealedBlobsEnabled { get; set; }

    /// <summary>Set once a table with zstd blocks is written: from then on the database records <see cref="LargeValueFormatVersion"/>.</summary>
    public bool LargeValuesEnabled { get; set; }

    /// <summary>Set once a family has a validator, or foreign keys or schema versions exist: from then on the database records <see cref="IntegrityFormatVersion"/>.</summary>
    public bool IntegrityEnabled { get; set; }

    /// <summary>Set once a column family is replicated: from then on the database records <see cref="ReplicationFormatVersion"/>.</summary>
    public bool ReplicationEnabled { get; set; }

    /// <summary>Set once a column family has a merge operator: from then on the database records <see cref="MergeFormatVersion"/>.</summary>
    public bool MergesEnabled { get; set; }

    /// <summary>The key registry of an encrypted database (null otherwise): MANIFESTs numbered from its <c>SealedFrom</c> on have sealed records.</summary>
    public Crypto.KeyRegistry? Keys { get; set; }

    /// <summary>The format version new MANIFESTs record.</summary>
    public uint WrittenFormatVersion => FormatVersionFor(Keys is not null, MergesEnabled || RecoveredFormatVersion >= MergeFormatVersion,
        ReplicationEnabled || RecoveredFormatVersion >= ReplicationFormatVersion, IntegrityEnabled || RecoveredFormatVersion >= IntegrityFormatVersion,
        LargeValuesEnabled || RecoveredFormatVersion >= LargeValueFormatVersion, BlobsEnabled || RecoveredFormatVersion >= BlobFormatVersion,
        SealedBlobsEnabled || RecoveredFormatVersion >= SealedBlobFormatVersion);

    // Seals the records of the live MANIFEST, when it is sealed. Guarded by _manifestLock.
    private Crypto.RecordCipher? _manifestCipher;

    /// <summary>The metadata key sealing the live MANIFEST (0 when plain).</summary>
    public uint ManifestKeyId => _manifestCipher?.KeyId ?? 0;

    private Crypto.RecordCipher? NewManifestCipher(long number) => ManifestCipher(Keys, number);

    /// <summary>The cipher of a new MANIFEST <paramref name="number"/>, or null when it is plain (shared with repair).</summary>
    public static Crypto.RecordCipher? ManifestCipher(Crypto.KeyRegistry? keys, long number)
    {
        if (keys is null || number < keys.SealedFrom) return null;
        var key = keys.Active(Crypto.KeyPurpose.Metadata, 0) ?? throw new EncryptionKeyException("the key registry holds no active metadata key");
        return new Crypto.RecordCipher(key, keys.DatabaseId, Crypto.FileKeyKind.Manifest, number);
    }

    /// <summary>Appends <paramref name="record"/>, sealed when <paramref name="cipher"/> is given (the plaintext is zeroed then).</summary>
    public static void AddRecord(LogWriter writer, Crypto.RecordCipher? cipher, byte[] record)
    {
        if (cipher is null)
        {
            writer.AddRecord(record);
            return;
        }
        var sealedRecord = new byte[record.Length + Crypto.RecordCipher.Overhead];
        cipher.Seal(record, sealedRecord);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(record);
        writer.AddRecord(sealedRecord);
    }

    /// <summary>Reads the records of MANIFEST <paramref name="number"/>, opening them when sealed (shared by recovery, verification and tools).</summary>
    public static IEnumerable<(byte[] Record, long Offset)> ReadRecords(LogReader reader, Crypto.KeyRegistry? keys, long number, string path)
    {
        using var opener = Crypto.SealedRecordOpener.For(keys, Crypto.FileKeyKind.Manifest, number, path);
        while (reader.ReadRecord(out var record, out long offset))
        {
            yield return (opener is null ? record.ToArray() : opener.Open(record, offset).ToArray(), offset);
        }
    }

    /// <summary>From this database format on, sequence numbers in the write-ahead logs are contiguous (FORMAT.md §10).</summary>
    public const uint ContiguousLogSequencesVersion = 3;
    public const uint DefaultColumnFamilyId = 0;
    public const string DefaultColumnFamilyName = "default";

    private readonly IFileSystem _fs;
    private readonly string _db;
    private readonly InternalKeyComparator _cmp;
    private readonly int _numLevels;
    private readonly object _dbMutex;
    private readonly Lock _manifestLock = new();
    private readonly Lock _liveLock = new();
    // Guarded by _liveLock.
    private readonly HashSet<LsmVersion> _live = [];
    // Guarded by _manifestLock for writes; read under the database mutex or manifest lock.
    private readonly Dictionary<uint, ColumnFamilyState> _columnFamilies = [];
    private uint _maxColumnFamily;
    private long _nextFileNumber = 2;
    private LogWriter? _manifest;
    // Set under _manifestLock when a MANIFEST write or sync failed; cleared when a new MANIFEST is
    // in place. Read without the lock by file deletion, which must wait for the clear.
    private volatile bool _writeUncertain;

    public VersionSet(IFileSystem fs, string db, InternalKeyComparator cmp, int numLevels, object dbMutex, long maxManifestFileSize)
    {
        _fs = fs;
        _db = db;
        _cmp = cmp;
        _numLevels = numLevels;
        _dbMutex = dbMutex;
        MaxManifestFileSize = maxManifestFileSize;
    }

    public int NumLevels => _numLevels;

    public long MaxManifestFileSize { get; }

    public long ManifestFileNumber { get; private set; }

    public long ManifestFileSize => _manifest?.Length ?? 0;

    /// <summary>
    /// True after a MANIFEST write or fsync failed, until a new MANIFEST written without the
    /// failed edit is named by CURRENT. Meanwhile the failed edit may or may not be on disk, so
    /// no file it adds may be deleted: a crash could recover a MANIFEST that names it.
    /// </summary>
    public bool WriteUncertain => _writeUncertain;

    /// <summary>Supplies the last published sequence number when an edit is written.</summary>
    public Func<ulong> LastSequence { get; set; } = () => 0;

    /// <summary>The last sequence recorded in the MANIFEST when it was recovered.</summary>
    public ulong RecoveredLastSequence { get; private set; }

    public long NextFileNumberPeek => Interlocked.Read(ref _nextFileNumber);

    public long NewFileNumber() => Interlocked.Increment(ref _nextFileNumber) - 1;

    /// <summary>Makes sure numbers already used on disk (found during recovery) are never handed out.</summary>
    public void MarkFileNumberUsed(long number)
    {
        long current;
        while ((current = Interlocked.Read(ref _nextFileNumber)) <= number)
            Interlocked.CompareExchange(ref _nextFileNumber, number + 1, current);
    }

    public IReadOnlyCollection<ColumnFamilyState> ColumnFamilies
    {
        get { lock (_dbMutex) return _columnFamilies.Values.Where(c => !c.Dropped).ToList(); }
    }

    public ColumnFamilyState? GetColumnFamily(uint id)
    {
        lock (_dbMutex) return _columnFamilies.TryGetValue(id, out var cf) && !cf.Dropped ? cf : null;
    }

    public ColumnFamilyState? FindColumnFamily(string name)
    {
        lock (_dbMutex) return _columnFamilies.Values.FirstOrDefault(c => !c.Dropped && c.Name == name);
    }

    public uint NextColumnFamilyId()
    {
        lock (_dbMutex) return _maxColumnFamily + 1;
    }

    /// <summary>WAL files numbered below this can be deleted: every column family has flushed their data.</summary>
    public long MinLogNumberToKeep
    {
        get
        {
            lock (_dbMutex)
            {
                long min = long.MaxValue;
                foreach (var cf in _columnFamilies.Values)
                    if (!cf.Dropped) min = Math.Min(min, cf.LogNumber);
                return min == long.MaxValue ? 0 : min;
            }
        }
    }

    /// <summary>
    /// The live MANIFEST as it stands between two edits: its number and the length of the records
    /// written so far (a prefix that describes exactly the installed versions), the log horizon,
    /// and every table of every column family's current version. A read-only instance (no writer)
    /// reports the file's size.
    /// </summary>
    public ManifestCapture CaptureManifest()
    {
        lock (_manifestLock)
        {
            long length;
            if (_manifest is not null) length = _manifest.Length;
            else if (_writeUncertain) throw new LatticeIOException("The MANIFEST failed to write and has not been rewritten yet; nothing consistent can be copied until it is (reopen the database).", FileNames.Manifest(_db, ManifestFileNumber));
            else length = _fs.GetFileSize(FileNames.Manifest(_db, ManifestFileNumber));
            var tables = new List<(uint ColumnFamily, int Level, FileMetaData File)>();
            var blobs = new List<(uint ColumnFamily, Blob.BlobFileMetaData File)>();
            lock (_dbMutex)
            {
                foreach (var cf in _columnFamilies.Values)
                {
                    if (cf.Dropped) continue;
                    var v = cf.Current;
                    for (int level = 0; level < v.NumLevels; level++)
                        foreach (var f in v.Files(level)) tables.Add((cf.Id, level, f));
                    foreach (var b in v.BlobFiles.Values) blobs.Add((cf.Id, b));
                }
            }
            return new ManifestCapture(ManifestFileNumber, length, MinLogNumberToKeep, tables) { BlobFiles = blobs };
        }
    }

    /// <summary>Every table and blob file listed by any version still referenced (they share one number space).</summary>
    public HashSet<long> LiveFiles() => CollectLive(f => f.Number, b => b.Number);

    /// <summary>What the MANIFEST records about table <paramref name="number"/>, if any live version (current or still read) holds it.</summary>
    public FileMetaData? FindLiveTable(long number)
    {
        lock (_dbMutex)
            foreach (var cf in _columnFamilies.Values)
                foreach (var f in cf.Current.AllFiles)
                    if (f.Number == number) return f;
        lock (_liveLock)
            foreach (var v in _live)
                foreach (var f in v.AllFiles)
                    if (f.Number == number) return f;
        return null;
    }

    /// <summary>Registry keys sealing a table or a blob file of any live version (snapshots and iterators included).</summary>
    public HashSet<uint> LiveKeyIds() => CollectLive(f => f.KeyId, b => b.KeyId);

    private HashSet<T> CollectLive<T>(Func<FileMetaData, T> select, Func<Blob.BlobFileMetaData, T>? selectBlob = null)
    {
        var live = new HashSet<T>();
        lock (_liveLock)
            foreach (var v in _live)
            {
                foreach (var f in v.AllFiles) live.Add(select(f));
                if (selectBlob is not null) foreach (var b in v.BlobFiles.Values) live.Add(selectBlob(b));
            }
        lock (_dbMutex)
            foreach (var cf in _columnFamilies.Values)
            {
                foreach (var f in cf.Current.AllFiles) live.Add(select(f));
                if (selectBlob is not null) foreach (var b in cf.Current.BlobFiles.Values) live.Add(selectBlob(b));
            }
        return live;
    }

    private LsmVersion NewVersion(VersionBuilder builder)
    {
        var v = builder.Build(OnVersionReleased);
        lock (_liveLock) _live.Add(v);
        return v;
    }

    private void OnVersionReleased(LsmVersion v)
    {
        lock (_liveLock) _live.Remove(v);
        VersionReleased?.Invoke();
    }

    /// <summary>Raised (on any thread) when a version is no longer referenced: obsolete files may be deletable.</summary>
    public event Action? VersionReleased;

    /// <summary>Writes the MANIFEST and CURRENT of a brand-new database.</summary>
    public void CreateNew(byte[]? defaultOptions)
    {
        var edit = new VersionEdit
        {
            FormatVersion = WrittenFormatVersion,
            Comparator = _cmp.User.Name,
            LogNumber = 0,
            NextFileNumber = 2,
            LastSequence = 0,
            MaxColumnFamily = 0,
            ColumnFamilyOptions = defaultOptions,
        };
        string path = FileNames.Manifest(_db, 1);
        using (var log = new LogWriter(_fs.CreateWritable(path)))
        using (var cipher = NewManifestCipher(1))
        {
            AddRecord(log, cipher, VersionEdit.EncodeRecord([edit]));
            log.File.Sync();
        }
        CurrentFile.Set(_fs, _db, 1, 2);
        _nextFileNumber = 3;
    }

    /// <summary>Rebuilds every column family's version from the MANIFEST named by CURRENT.</summary>
    public void Recover()
    {
        long manifestNumber = CurrentFile.Read(_fs, _db);
        string path = FileNames.Manifest(_db, manifestNumber);
        IRandomAccessFile file;
        try { file = _fs.OpenRead(path); }
        catch (FileNotFoundException ex) { throw new CorruptionException("MANIFEST named by CURRENT is missing", path, -1, ex); }

        var builders = new Dictionary<uint, VersionBuilder>();
        var states = new Dictionary<uint, (string Name, long Log, byte[]? Options)>();
        string? comparator = null;
        long? nextFile = null;
        ulong? lastSeq = null;
        uint maxCf = 0;
        using (file)
        {
            var reader = new LogReader(file);
            int issuesSeen = 0;
            foreach (var (record, offset) in ReadRecords(reader, Keys, manifestNumber, path))
            {
                if (reader.Issues.Count > issuesSeen)
                {
                    var issue = reader.Issues[issuesSeen];
                    throw new CorruptionException($"MANIFEST damaged: {issue.Reason}", path, issue.Offset);
                }
                List<VersionEdit> edits;
                try { edits = VersionEdit.DecodeRecord(record, _numLevels); }
                catch (CorruptionException ex) when (Keys is null && offset == 0)
                {
                    // A sealed MANIFEST read as plain looks like garbage: say what is likely.
                    throw new CorruptionException(ex.Reason + "; if this database is encrypted, its key registry (KEYREGISTRY-NNNNNN) is missing: restore it", path, offset, ex);
                }
                catch (CorruptionException ex) { throw ex.At(path, offset); }
                foreach (var edit in edits)
                {
                    try
                    {
                        ApplyRecovered(edit, builders, states, ref comparator, ref nextFile, ref lastSeq, ref maxCf);
                    }
                    catch (CorruptionException ex) when (ex.FilePath is null) { throw ex.At(path, offset); }
                }
            }
            // An edit cut short by a crash was never acknowledged: the state before it is the
            // consistent one. Any other damage (a complete edit failing its checksum, damage
            // before intact edits) loses acknowledged state and must be reported.
            var notTorn = reader.Issues.Skip(issuesSeen).FirstOrDefault(i => i.IntactRecordFollows || !i.IsTruncatedTail);
            if (notTorn.Reason is not null) throw new CorruptionException($"MANIFEST damaged: {notTorn.Reason}", path, notTorn.Offset);
        }
        if (comparator is null) throw new CorruptionException("MANIFEST names no comparator", path);
        if (comparator != _cmp.User.Name)
            throw new InvalidArgumentException($"Database was created with comparator '{comparator}' but is opened with '{_cmp.User.Name}'.", "Comparator");
        if (nextFile is null || lastSeq is null) throw new CorruptionException("MANIFEST lacks next-file or last-sequence entries", path);
        if (!states.ContainsKey(DefaultColumnFamilyId)) throw new CorruptionException("MANIFEST has no default column family", path);

        lock (_dbMutex)
        {
            _columnFamilies.Clear();
            foreach (var (id, st) in states)
            {
                var v = NewVersion(builders[id]);
                v.Ref();
                _columnFamilies[id] = new ColumnFamilyState(id, st.Name, v) { LogNumber = st.Log, Options = st.Options };
            }
            _maxColumnFamily = maxCf;
        }
        ManifestFileNumber = manifestNumber;
        _nextFileNumber = Math.Max(nextFile.Value, manifestNumber + 1);
        RecoveredLastSequence = lastSeq.Value;
    }

    /// <summary>The format version the recovered MANIFEST recorded (1 when it recorded none).</summary>
    public uint RecoveredFormatVersion { get; private set; } = 1;

    private void ApplyRecovered(VersionEdit edit, Dictionary<uint, VersionBuilder> builders, Dictionary<uint, (string Name, long Log, byte[]? Options)> states,
        ref string? comparator, ref long? nextFile, ref ulong? lastSeq, ref uint maxCf)
    {
        if (edit.FormatVersion is { } fv && fv > MaxFormatVersion)
            throw new InvalidArgumentException($"Database format version {fv} is newer than this LatticeKV supports ({MaxFormatVersion}).", "path");
        if (edit.FormatVersion is { } version) RecoveredFormatVersion = version;
        if (edit.Comparator is not null) comparator = edit.Comparator;
        if (edit.NextFileNumber is { } n) nextFile = n;
        if (edit.LastSequence is { } s) lastSeq = s;
        if (edit.MaxColumnFamily is { } m) maxCf = Math.Max(maxCf, m);
        uint id = edit.ColumnFamilyId;
        if (edit.ColumnFamilyAdd is not null)
        {
            if (states.ContainsKey(id)) throw new CorruptionException($"column family {id} added twice");
            states[id] = (edit.ColumnFamilyAdd, 0, null);
            builders[id] = new VersionBuilder(_cmp, null, _numLevels);
            maxCf = Math.Max(maxCf, id);
        }
        else if (id == DefaultColumnFamilyId && !states.ContainsKey(id))
        {
            states[id] = (DefaultColumnFamilyName, 0, null);
            builders[id] = new VersionBuilder(_cmp, null, _numLevels);
        }
        if (!states.TryGetValue(id, out var state))
            throw new CorruptionException($"edit for unknown column family {id}");
        if (edit.ColumnFamilyDrop)
        {
            if (id == DefaultColumnFamilyId) throw new CorruptionException("MANIFEST drops the default column family");
            states.Remove(id);
            builders.Remove(id);
            return;
        }
        builders[id].Apply(edit);
        if (edit.LogNumber is { } log) state.Log = log;
        if (edit.ColumnFamilyOptions is not null) state.Options = edit.ColumnFamilyOptions;
        states[id] = state;
    }

    /// <summary>
    /// Makes <paramref name="edits"/> durable in the MANIFEST and installs the resulting versions,
    /// atomically for all column families involved. <paramref name="onInstalled"/> runs under
    /// the database mutex right after installation. Must not be called with the database mutex held.
    /// On failure nothing is installed and the next call starts a fresh MANIFEST.
    /// </summary>
    public void LogAndApply(IReadOnlyList<VersionEdit> edits, Action? onInstalled = null)
    {
        lock (_manifestLock)
        {
            var newVersions = BuildVersions(edits);

            edits[0].NextFileNumber = Interlocked.Read(ref _nextFileNumber);
            edits[0].LastSequence = LastSequence();
            uint maxCf;
            lock (_dbMutex) maxCf = _maxColumnFamily;
            foreach (var e in edits)
                if (e.ColumnFamilyAdd is not null) maxCf = Math.Max(maxCf, e.ColumnFamilyId);
            edits[0].MaxColumnFamily = maxCf;

            try
            {
                if (_manifest is null || _manifest.Length > MaxManifestFileSize)
                {
                    WriteNewManifest(newVersions, edits);
                }
                else
                {
                    AddRecord(_manifest, _manifestCipher, VersionEdit.EncodeRecord(edits));
                    _manifest.File.Sync();
                }
            }
            catch
            {
                // The MANIFEST may now end in a partial record: never append to it again. Whether
                // the edit is durable is unknown, so the files it adds must survive until a new
                // MANIFEST (written without it) is in place.
                _writeUncertain = true;
                try { _manifest?.Dispose(); } catch (LatticeIOException) { }
                _manifest = null;
                ForgetUninstalled(newVersions);
                throw;
            }

            lock (_dbMutex)
            {
                foreach (var (state, edit, version) in newVersions)
                {
                    if (state is null)
                    {
                        version!.Ref();
                        _columnFamilies[edit.ColumnFamilyId] = new ColumnFamilyState(edit.ColumnFamilyId, edit.ColumnFamilyAdd!, version)
                        {
                            LogNumber = edit.LogNumber ?? 0,
                            Options = edit.ColumnFamilyOptions,
                        };
                        _maxColumnFamily = Math.Max(_maxColumnFamily, edit.ColumnFamilyId);
                        continue;
                    }
                    if (edit.ColumnFamilyDrop)
                    {
                        state.Dropped = true;
                        _columnFamilies.Remove(edit.ColumnFamilyId);
                        state.Current.Unref();
                        continue;
                    }
                    var old = state.Current;
                    version!.Ref();
                    state.Current = version;
                    old.Unref();
                    if (edit.LogNumber is { } log) state.LogNumber = log;
                    if (edit.ColumnFamilyOptions is not null) state.Options = edit.ColumnFamilyOptions;
                }
                onInstalled?.Invoke();
            }
        }
    }

    /// <summary>
    /// The version each edit leads to, in order (none for a drop). An edit that cannot apply
    /// fails the whole call before anything is written, and the versions built for the edits
    /// before it never become live.
    /// </summary>
    private List<(ColumnFamilyState? State, VersionEdit Edit, LsmVersion? LsmVersion)> BuildVersions(IReadOnlyList<VersionEdit> edits)
    {
        var newVersions = new List<(ColumnFamilyState? State, VersionEdit Edit, LsmVersion? LsmVersion)>();
        try
        {
            foreach (var edit in edits)
            {
                ColumnFamilyState? state;
                lock (_dbMutex) _columnFamilies.TryGetValue(edit.ColumnFamilyId, out state);
                if (edit.ColumnFamilyAdd is not null)
                {
                    if (state is not null) throw new InvalidOperationException($"Column family id {edit.ColumnFamilyId} already exists.");
                    var builder = new VersionBuilder(_cmp, null, _numLevels);
                    builder.Apply(edit);
                    newVersions.Add((null, edit, NewVersion(builder)));
                    continue;
                }
                if (state is null || state.Dropped) throw new ColumnFamilyNotFoundException(edit.ColumnFamilyId.ToString(System.Globalization.CultureInfo.InvariantCulture));
                if (edit.ColumnFamilyDrop)
                {
                    newVersions.Add((state, edit, null));
                    continue;
                }
                // Several edits of one column family in one call apply in order.
                var baseVersion = newVersions.LastOrDefault(x => x.State == state && x.LsmVersion is not null).LsmVersion ?? state.Current;
                var b = new VersionBuilder(_cmp, baseVersion, _numLevels);
                b.Apply(edit);
                newVersions.Add((state, edit, NewVersion(b)));
            }
            return newVersions;
        }
        catch
        {
            ForgetUninstalled(newVersions);
            throw;
        }
    }

    /// <summary>Takes versions that were built but never installed out of the live set.</summary>
    private void ForgetUninstalled(List<(ColumnFamilyState? State, VersionEdit Edit, LsmVersion? LsmVersion)> versions)
    {
        lock (_liveLock)
            foreach (var (_, _, v) in versions)
                if (v is not null) _live.Remove(v);
    }

    /// <summary>
    /// Starts a new MANIFEST holding a snapshot of all state (including pending edits), then
    /// points CURRENT at it. Called at open and when the MANIFEST grows past its limit.
    /// </summary>
    public void WriteNewManifest() => LogAndApplySnapshotOnly();

    private void LogAndApplySnapshotOnly()
    {
        lock (_manifestLock)
        {
            try { _manifest?.Dispose(); } catch (LatticeIOException) { }
            _manifest = null;
            WriteNewManifest([], []);
        }
    }

    private void WriteNewManifest(List<(ColumnFamilyState? State, VersionEdit Edit, LsmVersion? LsmVersion)> pending, IReadOnlyList<VersionEdit> pendingEdits)
    {
        long number = NewFileNumber();
        var snapshot = new List<VersionEdit>();
        lock (_dbMutex)
        {
            var states = _columnFamilies.Values.Where(c => !c.Dropped).OrderBy(c => c.Id).ToList();
            var dropped = pending.Where(p => p.Edit.ColumnFamilyDrop).Select(p => p.Edit.ColumnFamilyId).ToHashSet();
            foreach (var cf in states)
            {
                if (dropped.Contains(cf.Id)) continue;
                var version = pending.LastOrDefault(p => p.State == cf && p.LsmVersion is not null).LsmVersion ?? cf.Current;
                long log = cf.LogNumber;
                byte[]? options = cf.Options;
                foreach (var p in pending)
                {
                    if (p.State != cf) continue;
                    if (p.Edit.LogNumber is { } l) log = l;
                    if (p.Edit.ColumnFamilyOptions is not null) options = p.Edit.ColumnFamilyOptions;
                }
                snapshot.Add(SnapshotEdit(cf.Id, cf.Name, version, log, options));
            }
            foreach (var p in pending)
                if (p.State is null && p.LsmVersion is not null)
                    snapshot.Add(SnapshotEdit(p.Edit.ColumnFamilyId, p.Edit.ColumnFamilyAdd!, p.LsmVersion, p.Edit.LogNumber ?? 0, p.Edit.ColumnFamilyOptions));
            uint maxCf = _maxColumnFamily;
            foreach (var e in pendingEdits) if (e.MaxColumnFamily is { } m) maxCf = Math.Max(maxCf, m);
            var head = snapshot[0];
            head.FormatVersion = WrittenFormatVersion;
            head.Comparator = _cmp.User.Name;
            head.MaxColumnFamily = maxCf;
        }
        snapshot[0].NextFileNumber = Interlocked.Read(ref _nextFileNumber);
        snapshot[0].LastSequence = LastSequence();

        string path = FileNames.Manifest(_db, number);
        var cipher = NewManifestCipher(number);
        var log2 = new LogWriter(_fs.CreateWritable(path));
        try
        {
            AddRecord(log2, cipher, VersionEdit.EncodeRecord(snapshot));
            log2.File.Sync();
            CurrentFile.Set(_fs, _db, number, NewFileNumber());
        }
        catch
        {
            try { log2.Dispose(); } catch (LatticeIOException) { }
            cipher?.Dispose();
            throw;
        }
        _manifest = log2;
        _manifestCipher?.Dispose();
        _manifestCipher = cipher;
        ManifestFileNumber = number;
        _writeUncertain = false;
    }

    private static VersionEdit SnapshotEdit(uint id, string name, LsmVersion version, long log, byte[]? options)
    {
        var e = new VersionEdit
        {
            ColumnFamilyId = id,
            ColumnFamilyAdd = id == DefaultColumnFamilyId ? null : name,
            LogNumber = log,
            ColumnFamilyOptions = options,
        };
        for (int level = 0; level < version.NumLevels; level++)
            foreach (var f in version.Files(level)) e.AddFile(level, f);
        foreach (var b in version.BlobFiles.Values.OrderBy(b => b.Number))
        {
            e.NewBlobFiles.Add(b with { GarbageCount = 0, GarbageBytes = 0 });
            if (b.GarbageCount > 0) e.BlobGarbage.Add((b.Number, b.GarbageCount, b.GarbageBytes));
        }
        return e;
    }

    /// <summary>Reads the live MANIFEST back and checks every record (under the manifest lock, so no edit is half-written).</summary>
    public void VerifyManifest()
    {
        lock (_manifestLock)
        {
            string path = FileNames.Manifest(_db, ManifestFileNumber);
            using var file = _fs.OpenRead(path);
            var reader = new LogReader(file);
            foreach (var (record, offset) in ReadRecords(reader, Keys, ManifestFileNumber, path))
            {
                try { VersionEdit.DecodeRecord(record, _numLevels); }
                catch (CorruptionException ex) { throw ex.At(path, offset); }
            }
            if (reader.Issues.Count > 0)
                throw new CorruptionException("MANIFEST damaged: " + reader.Issues[0].Reason, path, reader.Issues[0].Offset);
        }
    }

    public void Dispose()
    {
        lock (_manifestLock)
        {
            try { _manifest?.Dispose(); } catch (LatticeIOException) { }
            _manifest = null;
            _manifestCipher?.Dispose();
            _manifestCipher = null;
        }
    }
}
