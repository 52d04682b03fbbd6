using LatticeKV.Compaction;
using LatticeKV.Db;
using LatticeKV.Io;
using LatticeKV.Manifest;
using LatticeKV.Wal;

namespace LatticeKV;

// Opening: MANIFEST recovery, WAL replay, and the flush that makes the replayed data durable in tables.
public sealed partial class LatticeDb
{
    private void Recover()
    {
        string current = FileNames.CurrentPath(_path);
        bool exists = _fs.FileExists(current);
        if (exists && _options.ErrorIfExists) throw new DbAlreadyExistsException(_path);
        if (!exists)
        {
            ThrowIfCurrentLost(current);
            if (!_options.CreateIfMissing) throw new DbNotFoundException(_path);
            OpenKeyRegistry(creating: true);
            _versions.CreateNew(ColumnFamilyOptionsCodec.Encode(_options.DefaultColumnFamilyOptions));
        }
        else
        {
            OpenKeyRegistry(creating: false);
        }
        _versions.Recover();
        var names = _fs.ListFiles(_path);
        foreach (var name in names)
            if (FileNames.IsNumbered(FileNames.Parse(name, out long number)))
                _versions.MarkFileNumberUsed(number);
        // After every number on disk is known: logs written since the MANIFEST's last edit are
        // numbered past its next-file number, and they are plain.
        EncryptExistingDatabase();
        _identity = DatabaseIdentity.LoadOrCreate(_fs, _path);
        StartSelfHealing();
        if (_options.AutoBackup is { } auto) _autoBackup = new Backup.AutoBackupService(this, auto, () => _stats.BytesWritten, () => _writePath.LastSequence);

        var edits = new List<VersionEdit>();
        var map = OpenColumnFamilies(edits);
        SetUpFamilyKeys(map.Values, readOnly: false);
        if (map.Values.Any(c => c.Scopes is not null)) EnsureScopeStage();
        DropShreddedFiles(map.Values, edits);
        var check = CheckAtStartup(names);
        ReplayLogs(names, edits, check);
        CheckScopesAfterReplay(map.Values);

        long log = _writePath.RollLogForRecovery();
        foreach (var cfd in map.Values)
        {
            if (!cfd.Mem.IsEmpty) FlushDuringRecovery(cfd, edits, log);
            edits.Add(new VersionEdit { ColumnFamilyId = cfd.Id, LogNumber = log });
        }
        // Always written: it starts a fresh MANIFEST and retires the replayed logs.
        _versions.LogAndApply(edits, () =>
        {
            foreach (var cfd in map.Values) cfd.InstallSuperVersion();
            ResizeCacheTiers();
        });
        if (_options.ParanoidChecks) VerifyAllTables();
        _optionsFileNumber = _versions.NewFileNumber();
        OptionsFile.Write(_fs, _path, _optionsFileNumber, _options, map.Values, _versions.WrittenFormatVersion);
        PurgeObsoleteFilesAtOpen();
        _keys?.StartWriting();
        DestroyUnusedKeys();
    }

    /// <summary>
    /// Replays every log at or after the MANIFEST's horizon, in order, and publishes the last
    /// sequence found. <paramref name="edits"/> is null for a read-only open (nothing is flushed).
    /// </summary>
    private void ReplayLogs(IReadOnlyList<string> names, List<VersionEdit>? edits, StartupChecker? check)
    {
        long minLog = _versions.MinLogNumberToKeep;
        var logs = LogsToReplay(names);
        // The log at the horizon always exists: logs are deleted only after a durable edit moves
        // the horizon past them. Its absence means the MANIFEST went back in time (truncated or
        // replaced), and replaying would silently lose what that log held.
        if (minLog > 0 && (logs.Count == 0 || logs[0] != minLog))
            throw new CorruptionException($"MANIFEST expects write-ahead log {FileNames.LogName(minLog)}, which is missing: the MANIFEST or the logs were damaged",
                FileNames.Manifest(_path, _versions.ManifestFileNumber));
        ulong lastSequence = _versions.RecoveredLastSequence;
        // Sequence numbers in the logs are contiguous from format 3: a gap between two batches is
        // batches lost (pages of unsynced logs lost in a power loss), not burned numbers.
        ulong replayedEnd = 0;
        bool contiguous = _versions.RecoveredFormatVersion >= VersionSet.ContiguousLogSequencesVersion;
        foreach (long log in logs)
        {
            // A log that ends in a torn tail lost what the crash interrupted; nothing after it was
            // ever synced (a synced write makes every earlier log durable first), and replaying
            // later logs would keep newer batches while older ones are gone. Recovery stops there,
            // at one point in time, and likewise at a gap in the sequence numbers.
            // Before format 3 a failed append could leave a torn record in a log that later logs
            // follow with acknowledged writes: those logs replay as they always did.
            check?.LogStarting(FileNames.Log(_path, log));
            if (!ReplayLog(log, ref lastSequence, ref replayedEnd, contiguous, edits, out bool tornTail) || (tornTail && contiguous)) break;
        }
        _writePath.SetRecoveredSequence(lastSequence);
    }

    /// <summary>The logs at or after the MANIFEST's horizon, oldest first.</summary>
    private List<long> LogsToReplay(IReadOnlyList<string> names)
    {
        long minLog = _versions.MinLogNumberToKeep;
        return names.Select(n => (Kind: FileNames.Parse(n, out long num), Number: num))
            .Where(x => x.Kind == DbFileKind.Log && x.Number >= minLog)
            .Select(x => x.Number).OrderBy(n => n).ToList();
    }

    /// <summary>
    /// Every table the MANIFEST lists exists; <see cref="DbOptions.StartupCheck"/> says what more
    /// is checked (and healed, with a backup to heal from). Returns the check, which replay
    /// tells about the logs it reads, or null when there is none.
    /// </summary>
    private StartupChecker? CheckAtStartup(IReadOnlyList<string> names)
    {
        CheckBlobFilesPresent(names);
        if (_options.StartupCheck == StartupCheck.None)
        {
            CheckTablesPresent(names);
            return null;
        }
        var check = new StartupChecker(_fs, _path, _tableCache, _options.StartupCheck, _options.StartupCheckProgress);
        check.CheckTables([.. _columnFamilies.Values.SelectMany(c => c.State.Current.AllFiles).Where(f => !IsShredded(f))], LogsToReplay(names));
        return check;
    }

    /// <summary>Self-healing from <see cref="DbOptions.RecoverFromBackup"/>: never for a read-only instance, which reports damage only.</summary>
    private void StartSelfHealing()
    {
        if (_readOnly || _options.RecoverFromBackup is not { } backup) return;
        if (_fs is RealFileSystem) backup = System.IO.Path.GetFullPath(backup);
        _healing = new Backup.SelfHealing(_fs, _path, Identity.DatabaseIdHex, new Backup.BackupDirectoryTables(_fs, backup),
            new Sst.TableReaderOptions(_cmp, null, false, keys: _keys), _versions.FindLiveTable, _tableCache, _stats, _options.Clock)
        {
            RaiseEvent = RaiseEvent,
        };
        _tableCache.Options.Healer = _healing;
    }

    /// <summary>
    /// Recovery for <see cref="OpenReadOnly"/>: the MANIFEST and the logs are read, and the logs
    /// replayed into memtables that stay in memory; nothing is written, renamed or deleted.
    /// </summary>
    private void RecoverReadOnly()
    {
        string current = FileNames.CurrentPath(_path);
        if (!_fs.FileExists(current))
        {
            ThrowIfCurrentLost(current);
            throw new DbNotFoundException(_path); // nothing, or a creation that crashed before CURRENT
        }
        OpenKeyRegistry(creating: false);
        _versions.Recover();
        _identity = DatabaseIdentity.Read(_fs, _path) ?? DatabaseIdentity.NewDatabase();
        var map = OpenColumnFamilies(edits: null);
        SetUpFamilyKeys(map.Values, readOnly: true);

        var names = _fs.ListFiles(_path);
        var check = CheckAtStartup(names);
        ReplayLogs(names, edits: null, check);
        lock (_mutex)
        {
            foreach (var cfd in map.Values) cfd.InstallSuperVersion();
            ResizeCacheTiers();
        }
        if (_options.ParanoidChecks) VerifyAllTables();
    }

    /// <summary>
    /// Tables, logs or a later MANIFEST without CURRENT mean a database lost its CURRENT: never
    /// overwrite it or call it absent. A lone first MANIFEST is a creation that crashed before
    /// CURRENT was written.
    /// </summary>
    private void ThrowIfCurrentLost(string current)
    {
        if (_fs.ListFiles(_path).Any(n => FileNames.Parse(n, out long number) switch
            {
                DbFileKind.Table or DbFileKind.Blob or DbFileKind.Log => true,
                DbFileKind.Manifest => number > 1,
                _ => false,
            }))
            throw new CorruptionException("database files exist but CURRENT is missing; run LatticeDb.Repair to rebuild it", current);
    }

    /// <summary>
    /// Creates the in-memory state of every recovered column family and publishes it. When
    /// <paramref name="edits"/> is given, options that differ from the MANIFEST's are recorded
    /// there to be persisted (a read-only open passes null and persists nothing).
    /// </summary>
    private Dictionary<uint, ColumnFamilyData> OpenColumnFamilies(List<VersionEdit>? edits)
    {
        var map = new Dictionary<uint, ColumnFamilyData>();
        foreach (var state in _versions.ColumnFamilies)
        {
            var options = KeepValidator(KeepReplicated(KeepMergeOperator(ResolveOptions(state), state), state), state);
            bool integrity = NoteIntegrityFeature(state.Name, options);
            if (edits is not null)
            {
                byte[] encoded = ColumnFamilyOptionsCodec.Encode(options);
                if (state.Options is null || !state.Options.AsSpan().SequenceEqual(encoded))
                    edits.Add(new VersionEdit { ColumnFamilyId = state.Id, ColumnFamilyOptions = encoded, FormatVersion = integrity ? _versions.WrittenFormatVersion : null });
            }
            var cfd = new ColumnFamilyData(state, options, _options.WriteBufferSize, _cmp, _options.Clock, state.LogNumber);
            cfd.Handle = new ColumnFamilyHandle(this, cfd);
            map[state.Id] = cfd;
        }
        _columnFamilies = map;
        _defaultHandle = map[VersionSet.DefaultColumnFamilyId].Handle!;
        EnsureValidationStage(map.Values);
        return map;
    }

    private ColumnFamilyOptions ResolveOptions(ColumnFamilyState state)
    {
        if (state.Id == VersionSet.DefaultColumnFamilyId) return KeepEncrypted(_options.DefaultColumnFamilyOptions.Clone(), state);
        if (_options.ColumnFamilyOptions.TryGetValue(state.Name, out var given)) return KeepEncrypted(given.Clone(), state);
        if (state.Options is not null)
        {
            try { return ColumnFamilyOptionsCodec.Decode(state.Options); }
            catch (CorruptionException ex) { throw ex.At(FileNames.Manifest(_path, _versions.ManifestFileNumber)); }
        }
        return new ColumnFamilyOptions();
    }

    /// <summary>Every table the MANIFEST lists must exist (and, with paranoid checks, have its recorded size).</summary>
    private void CheckTablesPresent(IReadOnlyList<string> names)
    {
        var present = new HashSet<long>();
        foreach (var n in names)
            if (FileNames.Parse(n, out long num) == DbFileKind.Table) present.Add(num);
        foreach (var cfd in _columnFamilies.Values)
        {
            foreach (var f in cfd.State.Current.AllFiles)
            {
                string path = FileNames.Table(_path, f.Number);
                if (!present.Contains(f.Number)) throw new CorruptionException("table file listed in the MANIFEST is missing", path);
                if (_options.ParanoidChecks)
                {
                    long size = _fs.GetFileSize(path);
                    if (size != f.FileSize) throw new CorruptionException($"table file is {size} bytes but the MANIFEST records {f.FileSize}", path);
                }
            }
        }
    }

    private void VerifyAllTables()
    {
        foreach (var cfd in _columnFamilies.Values)
        {
            foreach (var f in cfd.State.Current.AllFiles)
            {
                using var lease = _tableCache.Acquire(f.Number);
                lease.Reader.VerifyAll();
            }
        }
    }

    /// <summary>
    /// Replays one WAL file into memtables under the configured recovery mode. Returns false when
    /// replay must stop here (point-in-time recovery met damage).
    /// </summary>
    private bool ReplayLog(long number, ref ulong lastSequence, ref ulong replayedEnd, bool contiguous, List<VersionEdit>? edits, out bool tornTail)
    {
        tornTail = false;
        string path = FileNames.Log(_path, number);
        var mode = _options.WalRecoveryMode;
        using var file = _fs.OpenRead(path);
        var reader = new LogReader(file);
        using var opener = Crypto.SealedRecordOpener.For(_keys, Crypto.FileKeyKind.Log, number, path);
        int issuesSeen = 0;
        ulong previous = 0;
        bool afterDamage = false; // records may be missing before the next one (skipped damage)
        while (reader.ReadRecord(out var logged, out long offset))
        {
            var record = logged;
            if (reader.Issues.Count > issuesSeen)
            {
                // Damage followed by an intact record: not a torn tail.
                var issue = reader.Issues[issuesSeen];
                switch (mode)
                {
                    case WalRecoveryMode.PointInTimeRecovery:
                        return false;
                    case WalRecoveryMode.SkipAnyCorruptedRecords:
                        afterDamage = true;
                        issuesSeen = reader.Issues.Count;
                        RecordWalRecordsDropped(1, path, issue.Offset, "damaged record skipped: " + issue.Reason);
                        break;
                    default:
                        throw new CorruptionException($"write-ahead log damaged before intact records: {issue.Reason}", path, issue.Offset);
                }
            }
            Db.WriteBatchReader header;
            try
            {
                // A log's cipher header holds no batch; damage before it still counts for the record after it.
                if (opener is not null && opener.TakeLogHeader(logged, offset)) continue;
                if (opener is not null) record = opener.Open(logged, offset, afterDamage);
                afterDamage = false;
                header = new Db.WriteBatchReader(record);
                if (header.Count > 0 && header.Sequence <= previous)
                    throw new CorruptionException($"sequence {header.Sequence} does not follow {previous}");
                if (contiguous && replayedEnd > 0 && header.Count > 0 && header.Sequence > replayedEnd + 1)
                {
                    // Batches replayedEnd+1 .. Sequence-1 were lost: nothing after them was synced.
                    if (mode == WalRecoveryMode.AbsoluteConsistency)
                        throw new CorruptionException($"batches with sequence numbers {replayedEnd + 1}..{header.Sequence - 1} are missing before this record");
                    if (mode != WalRecoveryMode.SkipAnyCorruptedRecords)
                    {
                        RecordWalRecordsDropped(1, path, offset, $"batches {replayedEnd + 1}..{header.Sequence - 1} missing: replay stopped");
                        return false;
                    }
                }
                MemTableInserter.Apply(record, _columnFamilies, number);
            }
            catch (CorruptionException ex)
            {
                if (mode == WalRecoveryMode.PointInTimeRecovery) return false;
                if (mode == WalRecoveryMode.SkipAnyCorruptedRecords)
                {
                    afterDamage = true;
                    continue;
                }
                throw ex.At(path, offset);
            }
            if (header.Count > 0)
            {
                previous = header.Sequence + (ulong)header.Count - 1;
                replayedEnd = previous;
                if (previous > lastSequence) lastSequence = previous;
            }
            // Read-only opens (no edits) keep everything in memory: they must not write tables.
            if (edits is null) continue;
            foreach (var cfd in _columnFamilies.Values)
            {
                if (cfd.Mem.ApproximateMemoryUsage >= cfd.WriteBufferSize)
                {
                    FlushDuringRecovery(cfd, edits, number);
                }
            }
        }
        if (reader.Issues.Count > issuesSeen)
        {
            var issue = reader.Issues[issuesSeen];
            RecordWalRecordsDropped(reader.Issues.Count - issuesSeen, path, issue.Offset, issue.Reason);
            // Only what a crash leaves behind is a tail: a complete record with a bad checksum is not.
            var notTorn = reader.Issues.Skip(issuesSeen).FirstOrDefault(i => i.IntactRecordFollows || !i.IsTruncatedTail);
            switch (mode)
            {
                case WalRecoveryMode.AbsoluteConsistency:
                    throw new CorruptionException($"write-ahead log ends with damage: {issue.Reason}", path, issue.Offset);
                case WalRecoveryMode.TolerateCorruptedTailRecords when notTorn.Reason is not null:
                    throw new CorruptionException($"write-ahead log damaged: {notTorn.Reason}", path, notTorn.Offset);
                case WalRecoveryMode.PointInTimeRecovery:
                    return false;
            }
            tornTail = mode == WalRecoveryMode.TolerateCorruptedTailRecords;
        }
        return true;
    }

    /// <summary>Writes a recovered memtable straight to level 0 (single-threaded, before the database is live).</summary>
    private void FlushDuringRecovery(ColumnFamilyData cfd, List<VersionEdit> edits, long nextLogNumber)
    {
        var allocated = new List<long>();
        try
        {
            var stats = new CompactionStats();
            var output = FlushJob.Run(NewJobContext(allocated) with { Blobs = BlobSeparationFor(cfd, cfd.State.Current) }, [cfd.Mem], [], cfd.Policy,
                cfd.BuilderOptions with { CreationTimeMs = NowMs() }, stats, CancellationToken.None);
            if (output is null) return;
            var edit = new VersionEdit { ColumnFamilyId = cfd.Id };
            edit.AddFile(0, output);
            NoteLargeValues(edit, stats);
            NoteBlobs(edit, stats);
            edits.Add(edit);
        }
        finally
        {
            cfd.ResetMemTableAfterRecoveryFlush(nextLogNumber);
        }
    }

    /// <summary>At open nothing else runs, so everything not live goes (orphans of a crashed job included).</summary>
    private void PurgeObsoleteFilesAtOpen()
    {
        var live = _versions.LiveFiles();
        long minLog = _writePath.Logs.CurrentNumber;
        long manifest = _versions.ManifestFileNumber;
        foreach (var name in _fs.ListFiles(_path))
        {
            var kind = FileNames.Parse(name, out long number);
            bool doomed = kind switch
            {
                DbFileKind.Log => number < minLog,
                DbFileKind.Table or DbFileKind.Blob => !live.Contains(number),
                DbFileKind.Manifest => number < manifest,
                DbFileKind.Temp => true,
                DbFileKind.Options => number < _optionsFileNumber,
                _ => false,
            };
            if (doomed && kind == DbFileKind.Log && !ArchiveBeforeDelete(System.IO.Path.Combine(_path, name), number)) continue;
            if (doomed) TryDeleteFile(System.IO.Path.Combine(_path, name));
        }
        lock (_mutex) _writePath.Logs.ForgetBelow(minLog);
    }
}
