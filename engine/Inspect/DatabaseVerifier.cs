using LatticeKV.Backup;
using LatticeKV.Crypto;
using LatticeKV.Db;
using LatticeKV.Io;
using LatticeKV.Keys;
using LatticeKV.Manifest;
using LatticeKV.Sst;
using LatticeKV.Wal;

namespace LatticeKV.Inspect;

/// <summary>
/// A full offline check of a closed database (<c>lkv verify</c>): CURRENT and the MANIFEST
/// replay strictly; every live table exists, has the size the MANIFEST records, and every block
/// passes its checksum, with entries in order and counts matching; every write-ahead log still
/// needed for recovery reads cleanly to its end (a torn last record is normal, not damage).
/// It collects every problem instead of stopping at the first, and takes the directory lock
/// so that no flush or compaction changes files under it. For an open database use
/// <see cref="LatticeDb.VerifyChecksums"/>.
/// </summary>
public static class DatabaseVerifier
{
    /// <summary>Verifies the database at <paramref name="path"/>, reporting progress by bytes.</summary>
    /// <exception cref="DbNotFoundException">No database is there.</exception>
    /// <exception cref="DbLockedException">The database is open for writing (read-only instances may stay open).</exception>
    /// <exception cref="InvalidArgumentException">The database was created with another comparator.</exception>
    /// <exception cref="EncryptionKeyException">The database is encrypted: use the overload taking its <see cref="EncryptionOptions"/>.</exception>
    public static VerifyReport Verify(string path, Action<VerifyProgress>? progress = null, KeyComparator? comparator = null)
        => Verify(RealFileSystem.Instance, System.IO.Path.GetFullPath(path), progress, comparator ?? KeyComparator.Bytewise, null);

    /// <summary>
    /// Verifies the database at <paramref name="path"/>, which may be encrypted: every sealed
    /// MANIFEST record, log record and table block is opened and authenticated with the keys
    /// <paramref name="encryption"/> unlocks.
    /// </summary>
    /// <exception cref="EncryptionKeyException">The database is encrypted and <paramref name="encryption"/> is missing or wrong.</exception>
    /// <exception cref="DbNotFoundException">No database is there.</exception>
    /// <exception cref="DbLockedException">The database is open for writing (read-only instances may stay open).</exception>
    /// <exception cref="InvalidArgumentException">The database was created with another comparator.</exception>
    public static VerifyReport Verify(string path, EncryptionOptions? encryption, Action<VerifyProgress>? progress = null, KeyComparator? comparator = null)
        => Verify(RealFileSystem.Instance, System.IO.Path.GetFullPath(path), progress, comparator ?? KeyComparator.Bytewise, encryption);

    /// <summary>
    /// Verifies the database at <paramref name="path"/> as <see cref="Verify(string, EncryptionOptions?, Action{VerifyProgress}?, KeyComparator?)"/>
    /// does, and replaces every damaged or missing table that the backup in
    /// <paramref name="backupDirectory"/> holds (the same file, matched by database id, number,
    /// size and checksum, verified before it is put in place) with its copy. Healed tables are
    /// listed in <see cref="VerifyReport.Healings"/> and are not problems; those no backup could
    /// heal stay in <see cref="VerifyReport.Problems"/>, with a healing that says why. The
    /// database must not be open anywhere, read-only instances included.
    /// </summary>
    /// <exception cref="DbNotFoundException">No database is there.</exception>
    /// <exception cref="DbLockedException">The database is open.</exception>
    /// <exception cref="InvalidArgumentException">The database was created with another comparator.</exception>
    /// <exception cref="EncryptionKeyException">The database is encrypted and <paramref name="encryption"/> is missing or wrong.</exception>
    public static VerifyReport VerifyAndRepair(string path, string backupDirectory, EncryptionOptions? encryption = null, Action<VerifyProgress>? progress = null,
        KeyComparator? comparator = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(backupDirectory);
        return Verify(RealFileSystem.Instance, System.IO.Path.GetFullPath(path), progress, comparator ?? KeyComparator.Bytewise, encryption,
            System.IO.Path.GetFullPath(backupDirectory));
    }

    internal static VerifyReport Verify(IFileSystem fs, string path, Action<VerifyProgress>? progress, KeyComparator comparator, EncryptionOptions? encryption,
        string? repairFrom = null)
    {
        if (!fs.DirectoryExists(path)) throw new DbNotFoundException(path);
        var names = fs.ListFiles(path);
        if (!names.Any(n => FileNames.Parse(n, out _) is DbFileKind.Current or DbFileKind.Manifest)) throw new DbNotFoundException(path);
        using var keys = DatabaseKeys.Open(fs, path, encryption, "verification");
        // Healing replaces files: no reader may have the database open meanwhile.
        using var dirLock = fs.LockFile(FileNames.LockPath(path), shared: repairFrom is null);
        var cmp = new InternalKeyComparator(comparator);
        var healer = repairFrom is null ? null : Healer(fs, path, repairFrom, cmp, keys);
        return new Verification(fs, path, progress, cmp, keys, healer).Execute(names);
    }

    /// <summary>Heals tables from the backup; without an IDENTITY the database's tables cannot be told from another's, and nothing is healed.</summary>
    private static Func<FileMetaData, HealOutcome> Healer(IFileSystem fs, string db, string backup, InternalKeyComparator cmp, KeyRegistry? keys)
    {
        if (DatabaseIdentity.Read(fs, db) is not { } identity)
            return _ => new HealOutcome(false, "the database has no IDENTITY file, so no backup's table can be matched with its own");
        var healer = new TableHealer(fs, db, identity.DatabaseIdHex, new BackupDirectoryTables(fs, backup), new TableReaderOptions(cmp, null, false, keys: keys));
        return healer.Heal;
    }

    private sealed class Verification(IFileSystem fs, string db, Action<VerifyProgress>? progress, InternalKeyComparator cmp, KeyRegistry? keys,
        Func<FileMetaData, HealOutcome>? heal)
    {
        private readonly List<VerifyProblem> _problems = [];
        private readonly List<string> _notes = [];
        private readonly List<TableHealing> _healings = [];
        private long _bytesDone, _bytesTotal, _entries;
        private int _tables, _logs;

        public VerifyReport Execute(IReadOnlyList<string> names)
        {
            var live = ReadLiveFiles();
            var present = names.Select(n => (Kind: FileNames.Parse(n, out long num), Number: num)).ToList();
            var tables = live?.Tables
                ?? [.. present.Where(x => x.Kind == DbFileKind.Table).OrderBy(x => x.Number).Select(x => new LiveTable(x.Number, 0, -1, null))];
            long horizon = live?.LogHorizon ?? 0;
            var logs = present.Where(x => x.Kind == DbFileKind.Log && x.Number >= horizon).Select(x => x.Number).Order().ToList();
            if (horizon > 0 && (logs.Count == 0 || logs[0] != horizon))
                _problems.Add(new VerifyProblem(VerifyProblemKind.LogDamaged, FileNames.Log(db, horizon), -1,
                    "missing: the MANIFEST needs this write-ahead log to recover writes not yet in tables"));
            if (live is not null)
            {
                var liveNumbers = tables.Select(t => t.Number).ToHashSet();
                foreach (var orphan in present.Where(x => x.Kind == DbFileKind.Table && !liveNumbers.Contains(x.Number)))
                    _notes.Add($"{FileNames.Table(db, orphan.Number)}: not referenced by the MANIFEST (left by an interrupted flush or compaction; removed at the next open)");
            }

            _bytesTotal = tables.Sum(t => SizeOrZero(FileNames.Table(db, t.Number))) + logs.Sum(n => SizeOrZero(FileNames.Log(db, n)));
            foreach (var t in tables) VerifyTable(t);
            foreach (var (_, number) in present.Where(x => x.Kind == DbFileKind.Blob).OrderBy(x => x.Number)) VerifyBlobFile(number);
            foreach (long n in logs) VerifyLog(n);
            return new VerifyReport
            {
                Problems = _problems,
                Notes = _notes,
                TablesChecked = _tables,
                LogsChecked = _logs,
                EntriesChecked = _entries,
                BytesChecked = _bytesDone,
                Healings = _healings,
                RecordedHealings = Backup.HealingJournal.Read(fs, db),
            };
        }

        private sealed record LiveTable(long Number, uint ColumnFamily, int Level, FileMetaData? Meta);

        private sealed record LiveFiles(List<LiveTable> Tables, long LogHorizon);

        /// <summary>The live tables and the log horizon, or null (and a problem) when CURRENT or the MANIFEST cannot be read.</summary>
        private LiveFiles? ReadLiveFiles()
        {
            string manifestPath = FileNames.CurrentPath(db);
            try
            {
                long number = CurrentFile.Read(fs, db);
                manifestPath = FileNames.Manifest(db, number);
                var state = DatabaseInspector.ReadManifest(fs, manifestPath, cmp, keys);
                var tables = new List<LiveTable>();
                foreach (var (id, cf) in state.Families.OrderBy(kv => kv.Key))
                {
                    var version = cf.Builder.Build(null);
                    for (int level = 0; level < version.NumLevels; level++)
                        foreach (var f in version.Files(level)) tables.Add(new LiveTable(f.Number, id, level, f));
                }
                long horizon = state.Families.Values.Select(f => f.LogNumber).DefaultIfEmpty(0).Min();
                return new LiveFiles(tables, horizon);
            }
            catch (CorruptionException ex)
            {
                _problems.Add(new VerifyProblem(VerifyProblemKind.ManifestDamaged, ex.FilePath ?? manifestPath, ex.Offset, ex.Reason));
                _notes.Add("the MANIFEST is unreadable: every table and log in the directory was checked on its own; `lkv repair` rebuilds the MANIFEST");
                return null;
            }
        }

        private void VerifyTable(LiveTable t)
        {
            string path = FileNames.Table(db, t.Number);
            long size = SizeOrZero(path);
            Report(path);
            var problem = CheckTable(t, path);
            if (problem is not null && heal is not null && t.Meta is { } meta)
            {
                var outcome = heal(meta);
                var healing = new TableHealing(TimeProvider.System.GetUtcNow(), t.Number, path, outcome.Healed, problem.Message, outcome.Detail);
                _healings.Add(healing);
                try { Backup.HealingJournal.Append(fs, db, healing); }
                catch (Exception ex) when (ex is LatticeIOException or IOException) { }
                if (outcome.Healed) problem = CheckTable(t, path);
            }
            if (problem is null) _tables++;
            else _problems.Add(problem);
            _bytesDone += size;
        }

        /// <summary>Reads every record of a blob file, checking each (FORMAT.md §21).</summary>
        private void VerifyBlobFile(long number)
        {
            string path = FileNames.Blob(db, number);
            Report(path);
            try
            {
                using var reader = Blob.BlobFileReader.Open(fs.OpenRead(path), number, keys);
                reader.VerifyAll();
            }
            catch (CorruptionException ex)
            {
                _problems.Add(new VerifyProblem(VerifyProblemKind.BlobDamaged, path, ex.Offset, ex.Reason));
            }
            catch (EncryptionKeyException ex)
            {
                // A sealed blob file whose key is unknown or destroyed: its values cannot be read, whatever the checksums say.
                _problems.Add(new VerifyProblem(VerifyProblemKind.BlobDamaged, path, -1, ex.Message));
            }
            _bytesDone += SizeOrZero(path);
        }

        /// <summary>Reads the whole table; the problem found, or null when it is intact.</summary>
        private VerifyProblem? CheckTable(LiveTable t, string path)
        {
            string where = t.Meta is null ? "" : $" (column family {t.ColumnFamily}, level {t.Level})";
            if (!fs.FileExists(path)) return new VerifyProblem(VerifyProblemKind.TableMissing, path, -1, "missing, but the MANIFEST lists it" + where);
            try
            {
                if (Mismatch(t, path, SizeOrZero(path)) is { } sizeProblem) return sizeProblem;
                // A table found without the MANIFEST may belong to a database with another comparator: read it, do not judge its order.
                var options = new TableReaderOptions(cmp, null, false, anyComparator: t.Meta is null, keys: keys);
                using var reader = TableReader.Open(fs.OpenRead(path), t.Number, options);
                long entries = reader.VerifyAll();
                if (Mismatch(t, path, reader.Properties) is { } problem) return problem;
                _entries += entries;
                return null;
            }
            catch (CorruptionException ex)
            {
                return new VerifyProblem(VerifyProblemKind.TableDamaged, path, ex.Offset, ex.Reason + where);
            }
            catch (LatticeIOException ex)
            {
                return new VerifyProblem(VerifyProblemKind.TableDamaged, path, -1, "unreadable: " + ex.Message);
            }
            catch (EncryptionKeyException ex)
            {
                // A live table whose key is unknown or destroyed: its data cannot be read, whatever the checksums say.
                return new VerifyProblem(VerifyProblemKind.TableDamaged, path, -1, ex.Message + where);
            }
        }

        private static VerifyProblem? Mismatch(LiveTable t, string path, long size)
            => t.Meta is { } m && m.FileSize != size
                ? new VerifyProblem(VerifyProblemKind.TableDamaged, path, -1, $"is {size} bytes, but the MANIFEST records {m.FileSize} (column family {t.ColumnFamily}, level {t.Level})")
                : null;

        private static VerifyProblem? Mismatch(LiveTable t, string path, TableProperties p)
        {
            if (t.Meta is not { } m) return null;
            string? what = p.NumEntries != m.NumEntries ? $"holds {p.NumEntries} entries, but the MANIFEST records {m.NumEntries}"
                : p.ColumnFamilyId != t.ColumnFamily ? $"belongs to column family {p.ColumnFamilyId}, but the MANIFEST places it in {t.ColumnFamily}"
                : null;
            return what is null ? null : new VerifyProblem(VerifyProblemKind.TableDamaged, path, -1, $"{what} (level {t.Level})");
        }

        private void VerifyLog(long number)
        {
            string path = FileNames.Log(db, number);
            long size = SizeOrZero(path);
            Report(path);
            try
            {
                using var file = fs.OpenRead(path);
                var reader = new LogReader(file);
                using var opener = SealedRecordOpener.For(keys, FileKeyKind.Log, number, path);
                int issuesSeen = 0;
                bool afterProblem = false; // a damaged record, reported once: the ones after it may follow a gap
                while (reader.ReadRecord(out var record, out long offset))
                {
                    afterProblem |= reader.Issues.Count > issuesSeen;
                    issuesSeen = reader.Issues.Count;
                    try
                    {
                        if (opener is not null && opener.TakeLogHeader(record, offset)) continue;
                        var batch = new WriteBatchReader(opener is null ? record : opener.Open(record, offset, afterProblem));
                        while (batch.MoveNext()) _entries++;
                        afterProblem = false;
                    }
                    catch (CorruptionException ex)
                    {
                        _problems.Add(new VerifyProblem(VerifyProblemKind.LogDamaged, path, offset, "record does not decode: " + ex.Reason));
                        afterProblem = true;
                    }
                }
                foreach (var issue in reader.Issues)
                {
                    if (issue.IsTruncatedTail && !issue.IntactRecordFollows)
                        _notes.Add($"{path}: torn last record at offset {issue.Offset} ({issue.BytesDropped} bytes, an interrupted write; dropped on recovery)");
                    else
                        _problems.Add(new VerifyProblem(VerifyProblemKind.LogDamaged, path, issue.Offset, $"{issue.Reason}; {issue.BytesDropped} bytes unreadable"));
                }
                _logs++;
            }
            catch (Exception ex) when (ex is LatticeIOException or FileNotFoundException)
            {
                _problems.Add(new VerifyProblem(VerifyProblemKind.LogDamaged, path, -1, "unreadable: " + ex.Message));
            }
            _bytesDone += size;
        }

        private void Report(string file) => progress?.Invoke(new VerifyProgress(file, _bytesDone, _bytesTotal));

        private long SizeOrZero(string path)
        {
            try { return fs.GetFileSize(path); }
            catch (FileNotFoundException) { return 0; }
        }
    }
}
