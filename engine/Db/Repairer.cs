using LatticeKV.Compaction;
using LatticeKV.Crypto;
using LatticeKV.Io;
using LatticeKV.Keys;
using LatticeKV.Manifest;
using LatticeKV.Memtable;
using LatticeKV.Sst;
using LatticeKV.Wal;

namespace LatticeKV.Db;

/// <summary>
/// Rebuilds a database whose MANIFEST (or CURRENT) is lost or damaged. Every readable entry of
/// every table (block by block) and every intact record of every log is merged, as a full
/// compaction would, into new tables at the bottom level; a fresh MANIFEST names them. Putting
/// the old tables in level 0 instead would be wrong: level-0 order assumes a table with newer
/// sequence numbers holds the newer version of each key, which tables from different levels do
/// not guarantee. Old files move to <c>lost/</c>.
/// <para>
/// An encrypted database needs its key (<see cref="DbOptions.Encryption"/>): sealed MANIFESTs,
/// logs and tables are opened with the registry's keys, the new tables of an encrypted family
/// are sealed with its active data key and the new MANIFEST with the active metadata key, so
/// nothing is written in plaintext and only ciphertext moves to <c>lost/</c>. The registry stays.
/// Tables and log records sealed with a destroyed key (a shredded family) are counted, never read.
/// </para>
/// </summary>
internal sealed class Repairer(string db, DbOptions options)
{
    private readonly IFileSystem _fs = options.FileSystem;
    private readonly InternalKeyComparator _cmp = new(options.Comparator);
    private readonly RepairReport _report = new();
    private readonly List<string> _problems = [];
    // Zstd blocks in the rebuilt tables: the rebuilt MANIFEST then records database format 8.
    private long _zstdBlocksWritten;
    // Blob files the rebuilt tables still refer to, per column family (FORMAT.md §21).
    private readonly Dictionary<uint, List<Blob.BlobFileMetaData>> _blobFiles = [];
    private KeyRegistry? _keys;

    public RepairReport Run()
    {
        if (!_fs.DirectoryExists(db)) throw new DbNotFoundException(db);
        using var dirLock = _fs.LockFile(FileNames.LockPath(db));
        // Before anything moves: a wrong or missing key fails here and changes nothing.
        using var keys = _keys = DatabaseKeys.Open(_fs, db, options.Encryption, "repair");
        var names = _fs.ListFiles(db);
        var tables = Numbered(names, DbFileKind.Table);
        var logs = Numbered(names, DbFileKind.Log);
        var manifests = Numbered(names, DbFileKind.Manifest);
        if (tables.Count == 0 && logs.Count == 0 && manifests.Count == 0) throw new DbNotFoundException(db);

        var salvage = SalvageManifests(manifests);
        var (cfNames, cfOptions, dropped) = (salvage.Names, salvage.Options, salvage.Dropped);
        foreach (var (id, name) in NamesFromOptionsFile(names)) cfNames.TryAdd(id, name);
        long nextNumber = names.Select(n => FileNames.Parse(n, out long x) == DbFileKind.Unknown ? 0 : x).DefaultIfEmpty(0).Max() + 1;
        // The new MANIFEST must be sealed: it names the tables and key ranges of encrypted families.
        if (keys is not null) nextNumber = Math.Max(nextNumber, keys.SealedFrom);

        // Every source, per column family: salvaged table entries and logs replayed into memtables.
        var sources = new Dictionary<uint, List<InternalIterator>>();
        var tombstones = new Dictionary<uint, List<RangeTombstone>>();
        var memTables = new List<MemTable>();
        var readers = new List<TableReader>();
        var sealedFamilies = new HashSet<uint>();
        ulong lastSequence = 0;
        var tableOptions = new TableReaderOptions(_cmp, null, false, keys: keys);
        foreach (long number in tables)
        {
            string path = FileNames.Table(db, number);
            if (salvage.ObsoleteTables.Contains(number))
            {
                // Compacted away before the damage: its data lives on in newer tables, and reading it
                // back could resurrect entries whose tombstones compaction already dropped.
                _problems.Add($"{path}: obsolete (deleted by the MANIFEST), skipped");
                continue;
            }
            TableReader reader;
            try { reader = TableReader.Open(_fs.OpenRead(path), number, tableOptions); }
            catch (CorruptionException ex) when (ex.Reason.StartsWith("table was written with comparator", StringComparison.Ordinal))
            {
                throw new InvalidArgumentException($"Repair needs the comparator the database was created with: {ex.Reason}.", "Comparator");
            }
            catch (CorruptionException ex)
            {
                _report.TablesUnreadable++;
                _problems.Add($"{path}: unreadable, all of it lost ({ex.Reason})");
                continue;
            }
            catch (EncryptionKeyException ex)
            {
                if (IsShredded(path))
                {
                    // Its family was crypto-shredded: the data is meant to be gone and never comes back.
                    _report.TablesShredded++;
                    _problems.Add($"{path}: sealed with a destroyed key (its family was shredded), not salvageable");
                }
                else
                {
                    _report.TablesUnreadable++;
                    _problems.Add($"{path}: unreadable, all of it lost ({ex.Message})");
                }
                continue;
            }
            readers.Add(reader);
            uint cf = reader.Properties.ColumnFamilyId;
            if (reader.IsEncrypted) sealedFamilies.Add(cf);
            if (reader.Properties.ColumnFamilyName.Length > 0) cfNames.TryAdd(cf, reader.Properties.ColumnFamilyName);
            lastSequence = Math.Max(lastSequence, reader.Properties.LargestSequence);
            Add(sources, cf, new SalvagingTableIterator(reader, this));
            var list = tombstones.TryGetValue(cf, out var l) ? l : tombstones[cf] = [];
            list.AddRange(reader.RangeTombstones.AsTombstones());
        }
        var present = tables.ToHashSet();
        foreach (long number in salvage.LiveTables.Order().Where(n => !present.Contains(n)))
        {
            _report.TablesMissing++;
            _problems.Add($"{FileNames.Table(db, number)}: listed by the MANIFEST but missing, all of it lost");
        }
        if (salvage.NewestIntact && salvage.LogHorizon > 0 && !logs.Contains(salvage.LogHorizon))
        {
            _report.LogDamageSkipped++;
            _problems.Add($"{FileNames.Log(db, salvage.LogHorizon)}: needed by the MANIFEST but missing, writes not yet flushed from it are lost");
        }
        foreach (long number in logs)
        {
            if (number < salvage.LogHorizon)
            {
                _problems.Add($"{FileNames.Log(db, number)}: already flushed (below the MANIFEST's log horizon), skipped");
                continue;
            }
            var mems = ReplayLog(number, ref lastSequence);
            foreach (var (cf, mem) in mems)
            {
                // Held until the merge below has read it; released, its memory is freed at once.
                mem.Ref();
                memTables.Add(mem);
                Add(sources, cf, mem.NewIterator());
                (tombstones.TryGetValue(cf, out var l) ? l : tombstones[cf] = []).AddRange(mem.RawRangeTombstones());
            }
            _report.LogsReplayed++;
        }

        // Merge each column family into new bottom-level tables.
        int bottom = options.NumLevels - 1;
        var files = new Dictionary<uint, List<FileMetaData>>();
        long next = nextNumber;
        long NewNumber() => next++;
        foreach (uint cf in sources.Keys.Union(tombstones.Keys).Order())
        {
            if (dropped.Contains(cf)) continue;
            var cfOpts = cfOptions.GetValueOrDefault(cf) ?? (cf == 0 ? options.DefaultColumnFamilyOptions : new ColumnFamilyOptions());
            var sealing = Sealing(cf, cfOpts, optionsKnown: cfOptions.ContainsKey(cf), sealedFamilies);
            if (sealing is not null && !cfOpts.Encrypted)
            {
                // Recorded so that the rebuilt MANIFEST keeps the family encrypted.
                cfOpts = cfOpts.Clone();
                cfOpts.Encrypted = true;
                cfOptions[cf] = cfOpts;
            }
            var builderOptions = new TableBuilderOptions(_cmp, cfOpts.BlockSize, 16, cfOpts.Compression, cfOpts.BloomBitsPerKey, cf,
                options.Clock.GetUtcNow().ToUnixTimeMilliseconds(), Sealing: sealing,
                LargeValueThreshold: cfOpts.StoredScoped ? 0 : cfOpts.LargeValueCompressionThreshold, ZstdLevel: cfOpts.LargeValueCompressionLevel);
            var stats = new CompactionStats { CountBlobReferences = true };
            using var merged = new MergingIterator(_cmp, sources.GetValueOrDefault(cf) ?? []);
            var fragments = FragmentedRangeTombstones.Build(tombstones.GetValueOrDefault(cf) ?? [], _cmp);
            using var iter = new CompactionIterator(merged, _cmp, [], fragments, null, static _ => true, stats);
            using var writer = new CompactionOutputWriter(_fs, db, NewNumber, builderOptions, options.TargetFileSizeBase, [], long.MaxValue,
                iter.SurvivingTombstones(bottomMost: true), stats);
            CompactionJob.WriteAll(iter, writer, CancellationToken.None);
            writer.Finish();
            files[cf] = writer.Outputs;
            _report.TablesWritten += writer.Outputs.Count;
            _report.EntriesSalvaged += stats.InputEntries;
            _zstdBlocksWritten += stats.ZstdBlocks;
            KeepReferencedBlobFiles(cf, stats.BlobReferences);
            if (!cfNames.ContainsKey(cf)) cfNames[cf] = cf == 0 ? VersionSet.DefaultColumnFamilyName : $"recovered-{cf}";
        }
        foreach (var r in readers) r.Dispose();
        foreach (var m in memTables) m.Unref();
        cfNames.TryAdd(0, VersionSet.DefaultColumnFamilyName);
        foreach (uint cf in dropped) cfNames.Remove(cf);

        // The rebuilt MANIFEST, then the old files out of the way, then CURRENT.
        _fs.SyncDirectory(db);
        long manifestNumber = next++;
        WriteManifest(manifestNumber, next + 1, lastSequence, cfNames, cfOptions, files, bottom, Math.Max(salvage.MaxColumnFamily, cfNames.Keys.Max()));
        string lost = Path.Combine(db, "lost");
        _fs.CreateDirectory(lost);
        foreach (var name in names)
        {
            var kind = FileNames.Parse(name, out long number);
            bool keptBlob = kind == DbFileKind.Blob && _blobFiles.Values.Any(l => l.Any(b => b.Number == number));
            if (kind is DbFileKind.Table or DbFileKind.Log or DbFileKind.Manifest or DbFileKind.Current or DbFileKind.Temp
                || (kind == DbFileKind.Blob && !keptBlob))
                _fs.RenameFile(Path.Combine(db, name), Path.Combine(lost, name));
        }
        // Block positions in tables that are now in lost/: of no use to the rebuilt database.
        if (_fs.FileExists(HotSetFile.PathIn(db))) _fs.DeleteFile(HotSetFile.PathIn(db));
        CurrentFile.Set(_fs, db, manifestNumber, next++);

        _report.LastSequence = lastSequence;
        _report.ColumnFamilies = [.. cfNames.OrderBy(kv => kv.Key).Select(kv => kv.Value)];
        _report.LostDirectory = lost;
        _report.Problems = _problems;
        return _report;
    }

    /// <summary>
    /// The blob files the rebuilt tables of <paramref name="cf"/> refer to stay, listed with the
    /// records no table refers to as garbage. A referenced blob file that is missing or damaged is
    /// reported: reads of its values raise <see cref="CorruptionException"/> naming it.
    /// </summary>
    private void KeepReferencedBlobFiles(uint cf, Dictionary<long, (long Count, long Bytes)> references)
    {
        foreach (var (number, (count, bytes)) in references.OrderBy(kv => kv.Key))
        {
            string path = FileNames.Blob(db, number);
            try
            {
                if (!_fs.FileExists(path)) throw new CorruptionException("blob file is missing", path);
                using var reader = Blob.BlobFileReader.Open(_fs.OpenRead(path), number, _keys);
                reader.VerifyAll();
                if (count > reader.RecordCount || bytes > reader.RecordBytes)
                    throw new CorruptionException("more references to the blob file than it has records", path);
                (_blobFiles.TryGetValue(cf, out var list) ? list : _blobFiles[cf] = []).Add(new Blob.BlobFileMetaData
                {
                    Number = number,
                    FileSize = _fs.GetFileSize(path),
                    TotalCount = reader.RecordCount,
                    TotalBytes = reader.RecordBytes,
                    GarbageCount = reader.RecordCount - count,
                    GarbageBytes = reader.RecordBytes - bytes,
                    KeyId = reader.KeyId,
                });
            }
            catch (Exception ex) when (ex is CorruptionException or EncryptionKeyException)
            {
                _problems.Add($"{path}: {(ex as CorruptionException)?.Reason ?? ex.Message}; the {count} values it held are lost (reading them raises a corruption error)");
            }
        }
    }

    /// <summary>True when the table at <paramref name="path"/> names a key the registry records as destroyed.</summary>
    private bool IsShredded(string path)
    {
        try
        {
            using var file = _fs.OpenRead(path);
            return DatabaseKeys.IsDestroyed(_keys, TableReader.ReadKeyId(file));
        }
        catch (CorruptionException)
        {
            return false;
        }
    }

    /// <summary>
    /// How the new tables of family <paramref name="cf"/> are sealed: with its active data key when
    /// its options say it is encrypted or the registry holds an active key for it, or, when its
    /// options were lost with the MANIFEST, any of its old tables was sealed; null for plaintext
    /// (a family whose encryption was turned off has no active key and says so in its options).
    /// </summary>
    private TableSealing? Sealing(uint cf, ColumnFamilyOptions cfOptions, bool optionsKnown, HashSet<uint> sealedFamilies)
    {
        if (_keys is not { } keys) return null;
        var active = keys.Active(KeyPurpose.Data, cf);
        if (active is null && !cfOptions.Encrypted && (optionsKnown || !sealedFamilies.Contains(cf))) return null;
        active ??= keys.CreateKey(KeyPurpose.Data, cf, [], options.Clock.GetUtcNow().ToUnixTimeMilliseconds());
        return new TableSealing(active, keys.DatabaseId.ToArray());
    }

    private static List<long> Numbered(IReadOnlyList<string> names, DbFileKind kind)
        => [.. names.Select(n => (Kind: FileNames.Parse(n, out long x), Number: x)).Where(x => x.Kind == kind).Select(x => x.Number).Order()];

    private static void Add(Dictionary<uint, List<InternalIterator>> sources, uint cf, InternalIterator it)
    {
        if (!sources.TryGetValue(cf, out var list)) sources[cf] = list = [];
        list.Add(it);
    }

    private sealed record ManifestSalvage(Dictionary<uint, string> Names, Dictionary<uint, ColumnFamilyOptions> Options, HashSet<uint> Dropped,
        HashSet<long> ObsoleteTables, IReadOnlyCollection<long> LiveTables, long LogHorizon, bool NewestIntact, uint MaxColumnFamily);

    /// <summary>
    /// What the MANIFESTs that can be read still say (the newest readable record wins): column
    /// family names, options and drops; tables already compacted away; the log horizon.
    /// </summary>
    private ManifestSalvage SalvageManifests(List<long> manifests)
    {
        var names = new Dictionary<uint, string>();
        var opts = new Dictionary<uint, ColumnFamilyOptions>();
        var dropped = new HashSet<uint>();
        var deleted = new HashSet<long>();
        var logNumbers = new Dictionary<uint, long>();
        var live = new Dictionary<long, uint>(); // table -> column family, as the MANIFESTs last say
        uint maxCf = 0;
        bool newestIntact = false; // only an undamaged newest MANIFEST says for sure which tables and logs should exist
        foreach (long number in manifests)
        {
            string path = FileNames.Manifest(db, number);
            newestIntact = true;
            try
            {
                using var file = _fs.OpenRead(path);
                var reader = new LogReader(file);
                using var opener = SealedRecordOpener.For(_keys, FileKeyKind.Manifest, number, path, salvage: true);
                while (reader.ReadRecord(out var record, out long offset))
                {
                    List<VersionEdit> edits;
                    try { edits = VersionEdit.DecodeRecord(opener is null ? record : opener.Open(record, offset), 64); }
                    catch (CorruptionException)
                    {
                        newestIntact = false;
                        continue;
                    }
                    foreach (var e in edits)
                    {
                        if (e.Comparator is { } c && c != options.Comparator.Name)
                            throw new InvalidArgumentException($"The database was created with comparator '{c}'; repair it with that comparator.", "Comparator");
                        maxCf = Math.Max(maxCf, Math.Max(e.ColumnFamilyId, e.MaxColumnFamily ?? 0));
                        if (e.ColumnFamilyAdd is not null)
                        {
                            names[e.ColumnFamilyId] = e.ColumnFamilyAdd;
                            dropped.Remove(e.ColumnFamilyId);
                        }
                        if (e.ColumnFamilyDrop)
                        {
                            dropped.Add(e.ColumnFamilyId);
                            logNumbers.Remove(e.ColumnFamilyId);
                            foreach (var gone in live.Where(kv => kv.Value == e.ColumnFamilyId).Select(kv => kv.Key).ToList()) live.Remove(gone);
                        }
                        if (e.ColumnFamilyOptions is { } o)
                        {
                            try { opts[e.ColumnFamilyId] = ColumnFamilyOptionsCodec.Decode(o); }
                            catch (CorruptionException) { }
                        }
                        if (e.LogNumber is { } log && !e.ColumnFamilyDrop) logNumbers[e.ColumnFamilyId] = log;
                        foreach (var (_, n) in e.DeletedFiles)
                        {
                            deleted.Add(n);
                            live.Remove(n);
                        }
                        foreach (var (_, f) in e.NewFiles)
                        {
                            deleted.Remove(f.Number); // a move re-adds what it deletes
                            live[f.Number] = e.ColumnFamilyId;
                        }
                    }
                }
                if (reader.Issues.Any(i => !i.IsTruncatedTail || i.IntactRecordFollows)) newestIntact = false;
                if (reader.Issues.Count > 0) _problems.Add($"{path}: damaged from offset {reader.Issues[0].Offset} ({reader.Issues[0].Reason}); what came before it was used");
            }
            catch (CorruptionException ex)
            {
                newestIntact = false;
                _problems.Add($"{path}: unreadable ({ex.Reason})");
            }
        }
        long horizon = logNumbers.Count == 0 ? 0 : logNumbers.Values.Min();
        return new ManifestSalvage(names, opts, dropped, deleted, newestIntact ? live.Keys : [], horizon, newestIntact, maxCf);
    }

    /// <summary>Column family names and ids from the newest OPTIONS file, if any (a fallback when MANIFESTs are gone).</summary>
    private Dictionary<uint, string> NamesFromOptionsFile(IReadOnlyList<string> names)
    {
        var result = new Dictionary<uint, string>();
        var newest = Numbered(names, DbFileKind.Options).LastOrDefault();
        if (newest == 0) return result;
        try
        {
            string text = Coding.Utf8.GetString(_fs.ReadAllBytes(FileNames.Options(db, newest)));
            string? section = null;
            foreach (var line in text.Split('\n'))
            {
                if (line.StartsWith("[column_family \"", StringComparison.Ordinal) && line.EndsWith("\"]", StringComparison.Ordinal))
                    section = line[16..^2];
                else if (section is not null && line.StartsWith("id=", StringComparison.Ordinal)
                    && uint.TryParse(line[3..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out uint id))
                    result[id] = section;
            }
        }
        catch (Exception ex) when (ex is CorruptionException or LatticeIOException)
        {
            _problems.Add($"{FileNames.Options(db, newest)}: unreadable ({ex.Message})");
        }
        return result;
    }

    /// <summary>Replays one log into a memtable per column family, skipping damage.</summary>
    private Dictionary<uint, MemTable> ReplayLog(long number, ref ulong lastSequence)
    {
        var mems = new Dictionary<uint, MemTable>();
        string path = FileNames.Log(db, number);
        using var file = _fs.OpenRead(path);
        var reader = new LogReader(file) { EndsAtLostPages = false }; // salvage: every intact record, past holes too
        using var opener = SealedRecordOpener.For(_keys, FileKeyKind.Log, number, path, salvage: true);
        long shreddedRecords = 0, shreddedWrites = 0;
        while (reader.ReadRecord(out var record, out long offset))
        {
            try
            {
                if (opener is not null && opener.TakeLogHeader(record, offset)) continue;
            }
            catch (CorruptionException ex)
            {
                _report.LogDamageSkipped++;
                _problems.Add($"{path}: log cipher header at offset {offset} skipped ({ex.Reason})");
                continue;
            }
            if (opener is not null && DatabaseKeys.IsDestroyed(_keys, opener.KeyIdOf(record)))
            {
                shreddedRecords++;
                continue;
            }
            try
            {
                var batch = new WriteBatchReader(opener is null ? record : opener.Open(record, offset));
                ulong seq = batch.Sequence;
                while (batch.MoveNext())
                {
                    ulong s = seq++;
                    // Writes of a family shredded after they were logged stay gone.
                    if (_keys?.ShreddedThrough(batch.ColumnFamilyId) is { } through && s <= through)
                    {
                        shreddedWrites++;
                        continue;
                    }
                    if (!mems.TryGetValue(batch.ColumnFamilyId, out var mem)) mems[batch.ColumnFamilyId] = mem = new MemTable(_cmp, 1 << 20, number);
                    mem.Add(s, batch.Kind, batch.Key, batch.Value);
                }
                if (batch.Count > 0) lastSequence = Math.Max(lastSequence, batch.Sequence + (ulong)batch.Count - 1);
            }
            catch (CorruptionException ex)
            {
                _report.LogDamageSkipped++;
                _problems.Add($"{path}: record at offset {offset} skipped ({ex.Reason})");
            }
        }
        foreach (var issue in reader.Issues.Where(i => !i.IsTruncatedTail))
        {
            _report.LogDamageSkipped++;
            _problems.Add($"{path}: {issue.BytesDropped} bytes at offset {issue.Offset} skipped ({issue.Reason})");
        }
        if (shreddedRecords > 0)
        {
            _report.LogRecordsShredded += shreddedRecords;
            _problems.Add($"{path}: {shreddedRecords} records sealed with a destroyed key (a shredded family's), not salvageable");
        }
        if (shreddedWrites > 0) _problems.Add($"{path}: {shreddedWrites} writes of shredded column families skipped");
        return mems;
    }

    private void WriteManifest(long manifestNumber, long nextFileNumber, ulong lastSequence, Dictionary<uint, string> names,
        Dictionary<uint, ColumnFamilyOptions> cfOptions, Dictionary<uint, List<FileMetaData>> files, int bottom, uint maxColumnFamily)
    {
        var edits = new List<VersionEdit>();
        foreach (var (id, name) in names.OrderBy(kv => kv.Key))
        {
            var o = cfOptions.GetValueOrDefault(id) ?? (id == 0 ? options.DefaultColumnFamilyOptions : new ColumnFamilyOptions());
            var e = new VersionEdit
            {
                ColumnFamilyId = id,
                ColumnFamilyAdd = id == 0 ? null : name,
                ColumnFamilyOptions = ColumnFamilyOptionsCodec.Encode(o),
                LogNumber = 0,
            };
            foreach (var f in files.GetValueOrDefault(id) ?? []) e.AddFile(bottom, f);
            foreach (var b in _blobFiles.GetValueOrDefault(id) ?? [])
            {
                e.NewBlobFiles.Add(b with { GarbageCount = 0, GarbageBytes = 0 });
                if (b.GarbageCount > 0) e.BlobGarbage.Add((b.Number, b.GarbageCount, b.GarbageBytes));
            }
            edits.Add(e);
        }
        var head = edits[0];
        head.Comparator = options.Comparator.Name;
        head.NextFileNumber = nextFileNumber;
        head.LastSequence = lastSequence;
        head.MaxColumnFamily = maxColumnFamily;
        bool merges = options.DefaultColumnFamilyOptions.MergeOperatorName is not null || cfOptions.Values.Any(o => o.MergeOperatorName is not null);
        bool replication = options.DefaultColumnFamilyOptions.Replicated || cfOptions.Values.Any(o => o.Replicated);
        // Validators, foreign keys and schema versions (format 7) must survive a repair: an older
        // build opening the repaired database would write without enforcing them.
        bool integrity = options.DefaultColumnFamilyOptions.ValidatorDescription is not null || cfOptions.Values.Any(o => o.ValidatorDescription is not null)
            || names.Values.Any(n => n == Integrity.ForeignKeyFamilies.CatalogName || n == Migrations.SchemaRecords.FamilyName);
        head.FormatVersion = VersionSet.FormatVersionFor(_keys is not null, merges, replication, integrity, largeValues: _zstdBlocksWritten > 0,
            blobs: _blobFiles.Count > 0, sealedBlobs: _blobFiles.Values.Any(l => l.Any(b => b.KeyId != 0)));
        using var log = new LogWriter(_fs.CreateWritable(FileNames.Manifest(db, manifestNumber)));
        using var cipher = VersionSet.ManifestCipher(_keys, manifestNumber);
        VersionSet.AddRecord(log, cipher, VersionEdit.EncodeRecord(edits));
        log.File.Sync();
    }

    private void NoteBlockLost(string path, long offset, string reason)
    {
        _report.BlocksLost++;
        _problems.Add($"{path}: data block at offset {offset} lost ({reason})");
    }

    /// <summary>Forward-only cursor over a table that skips damaged data blocks, for repair.</summary>
    private sealed class SalvagingTableIterator(TableReader table, Repairer owner) : InternalIterator
    {
        private readonly BlockIterator _data = new(SpanComparer.For(table.Comparator));
        private int _block = -1;
        private bool _damaged;
        private bool _counted;

        public override bool Valid => _block < table.Fences.Count && _block >= 0 && _data.Valid;

        public override ReadOnlySpan<byte> Key => _data.Key;

        public override ReadOnlySpan<byte> Value => _data.Value;

        public override void SeekToFirst()
        {
            _block = -1;
            NextBlock();
        }

        public override void Next()
        {
            try
            {
                _data.Next();
                if (_data.Valid && !InternalKey.IsWellFormed(_data.Key)) throw new CorruptionException("malformed internal key");
            }
            catch (CorruptionException ex)
            {
                Lost(ex);
                _data.Reset(EmptyBlock);
            }
            if (!_data.Valid) NextBlock();
        }

        private void NextBlock()
        {
            while (++_block < table.Fences.Count)
            {
                try
                {
                    _data.Reset(table.GetDataBlock(_block, fillCache: false));
                    _data.SeekToFirst();
                    if (_data.Valid && InternalKey.IsWellFormed(_data.Key)) return;
                }
                catch (CorruptionException ex)
                {
                    Lost(ex);
                }
            }
            if (!_counted)
            {
                _counted = true;
                if (_damaged) owner._report.TablesPartlyRead++;
                else owner._report.TablesRead++;
            }
        }

        private void Lost(CorruptionException ex)
        {
            _damaged = true;
            owner.NoteBlockLost(table.Path, table.Fences.Handle(Math.Min(_block, table.Fences.Count - 1)).Offset, ex.Reason);
        }

        private static readonly Block EmptyBlock = new([0, 0, 0, 0, 1, 0, 0, 0], 8);

        public override void SeekToLast() => throw new NotSupportedException();

        public override void Seek(ReadOnlySpan<byte> target) => throw new NotSupportedException();

        public override void SeekForPrev(ReadOnlySpan<byte> target) => throw new NotSupportedException();

        public override void Prev() => throw new NotSupportedException();
    }
}
