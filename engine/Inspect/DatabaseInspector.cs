using LatticeKV.Coding;
using LatticeKV.Crypto;
using LatticeKV.Db;
using LatticeKV.Io;
using LatticeKV.Keys;
using LatticeKV.Manifest;
using LatticeKV.Sst;
using LatticeKV.Wal;

namespace LatticeKV.Inspect;

/// <summary>
/// Reads the shape of a database (column families, levels, tables and their properties, logs,
/// options) straight from CURRENT, the MANIFEST and the tables, without opening the database:
/// it takes no lock, writes nothing, and works while another process has the database open.
/// </summary>
public static class DatabaseInspector
{
    /// <summary>
    /// Inspects the database at <paramref name="path"/>. A database created with a custom
    /// comparator needs that <paramref name="comparator"/>, as <see cref="LatticeDb.Open"/> does.
    /// An encrypted database is described by its files alone (<see cref="DatabaseInfo.Locked"/>):
    /// use the overload taking its <see cref="EncryptionOptions"/> for the rest.
    /// </summary>
    /// <exception cref="DbNotFoundException">No database is there.</exception>
    /// <exception cref="CorruptionException">CURRENT or the MANIFEST is damaged (damaged tables are reported in <see cref="TableFileInfo.Error"/>).</exception>
    /// <exception cref="InvalidArgumentException">The database was created with another comparator.</exception>
    public static DatabaseInfo Inspect(string path, KeyComparator? comparator = null)
        => Inspect(System.IO.Path.GetFullPath(path), RealFileSystem.Instance, comparator ?? KeyComparator.Bytewise, null);

    /// <summary>
    /// Inspects the database at <paramref name="path"/>, which may be encrypted. With
    /// <paramref name="encryption"/> its sealed MANIFEST and tables are read (the key ranges of
    /// encrypted families are still withheld, see <see cref="TableFileInfo.KeyRangeHidden"/>);
    /// without it an encrypted database is described by its files alone: names, sizes, kinds and
    /// the keys tables are sealed with (<see cref="DatabaseInfo.Locked"/>).
    /// </summary>
    /// <exception cref="EncryptionKeyException"><paramref name="encryption"/> does not open the database's key registry.</exception>
    /// <exception cref="DbNotFoundException">No database is there.</exception>
    /// <exception cref="CorruptionException">CURRENT, the MANIFEST or the key registry is damaged.</exception>
    /// <exception cref="InvalidArgumentException">The database was created with another comparator.</exception>
    public static DatabaseInfo Inspect(string path, EncryptionOptions? encryption, KeyComparator? comparator = null)
        => Inspect(System.IO.Path.GetFullPath(path), RealFileSystem.Instance, comparator ?? KeyComparator.Bytewise, encryption);

    internal static DatabaseInfo Inspect(string path, IFileSystem fs, KeyComparator comparator, EncryptionOptions? encryption)
    {
        if (!fs.DirectoryExists(path) || !fs.FileExists(FileNames.CurrentPath(path))) throw new DbNotFoundException(path);
        long manifestNumber = CurrentFile.Read(fs, path);
        string manifestPath = FileNames.Manifest(path, manifestNumber);
        var names = fs.ListFiles(path);
        bool encrypted = DatabaseKeys.IsEncrypted(fs, path);
        bool locked = encrypted && encryption is null;
        using var keys = locked ? null : DatabaseKeys.Open(fs, path, encryption, "inspection");
        long optionsNumber = names.Select(n => (Kind: FileNames.Parse(n, out long num), Number: num)).Where(x => x.Kind == DbFileKind.Options).Select(x => x.Number).DefaultIfEmpty(0).Max();
        string? optionsText = null;
        if (optionsNumber > 0)
        {
            try { optionsText = Utf8.GetString(fs.ReadAllBytes(FileNames.Options(path, optionsNumber))); }
            catch (Exception ex) when (ex is CorruptionException or LatticeIOException or FileNotFoundException) { }
        }
        var logs = names.Select(n => (Kind: FileNames.Parse(n, out long num), Number: num, Name: n))
            .Where(x => x.Kind == DbFileKind.Log).OrderBy(x => x.Number)
            .Select(x => new LogFileInfo { Number = x.Number, FileName = x.Name, Size = SizeOf(fs, System.IO.Path.Combine(path, x.Name)), Sealed = IsSealed(keys, locked, x.Number) }).ToList();
        var info = new DatabaseInfo
        {
            Path = path,
            Comparator = "",
            Manifest = FileNames.ManifestName(manifestNumber),
            ManifestSize = SizeOf(fs, manifestPath),
            ColumnFamilies = [],
            LogFiles = logs,
            OptionsText = optionsText,
            TotalBytes = names.Sum(n => SizeOf(fs, System.IO.Path.Combine(path, n))),
            Encrypted = encrypted,
            MasterKey = encrypted ? DatabaseKeys.DescribeMasterKey(fs, path) : null,
            Locked = locked,
            Files = [.. names.Order(StringComparer.Ordinal).Select(n => DescribeFile(fs, path, n, keys, locked))],
        };
        if (locked) return info;

        var cmp = new InternalKeyComparator(comparator);
        var state = ReadManifest(fs, manifestPath, cmp, keys);
        var readerOptions = new TableReaderOptions(cmp, null, false, keys: keys);
        int configuredLevels = ConfiguredLevels(optionsText);
        var families = new List<ColumnFamilyInfo>();
        foreach (var (id, cf) in state.Families.OrderBy(kv => kv.Key))
        {
            var version = cf.Builder.Build(null);
            bool encryptedFamily = IsEncrypted(cf.Options) || version.AllFiles.Any(f => f.KeyId != 0);
            int used = Enumerable.Range(0, version.NumLevels).LastOrDefault(l => version.NumFiles(l) > 0, -1) + 1;
            var levels = new List<LevelInfo>();
            for (int level = 0; level < Math.Max(configuredLevels, used); level++)
            {
                var files = new List<TableFileInfo>();
                foreach (var f in version.Files(level)) files.Add(Describe(fs, path, level, f, readerOptions, encryptedFamily));
                levels.Add(new LevelInfo { Level = level, Files = files });
            }
            families.Add(new ColumnFamilyInfo
            {
                Name = cf.Name,
                Id = id,
                LogNumber = cf.LogNumber,
                Encrypted = encryptedFamily,
                Options = cf.Options is null ? "" : Utf8.GetString(cf.Options),
                Levels = levels,
            });
        }
        return new DatabaseInfo
        {
            Path = info.Path,
            FormatVersion = state.FormatVersion,
            Comparator = state.Comparator,
            Manifest = info.Manifest,
            ManifestSize = info.ManifestSize,
            LastSequence = state.LastSequence,
            NextFileNumber = state.NextFile,
            ColumnFamilies = families,
            LogFiles = info.LogFiles,
            OptionsText = info.OptionsText,
            TotalBytes = info.TotalBytes,
            Encrypted = info.Encrypted,
            MasterKey = info.MasterKey,
            Files = info.Files,
        };
    }

    /// <summary>
    /// The options the MANIFEST stores for the default column family, or null when there is no
    /// database. Tools open a database with them, since <see cref="DbOptions.DefaultColumnFamilyOptions"/>
    /// replaces what is stored and would, left at its defaults, turn the family's encryption off.
    /// </summary>
    internal static ColumnFamilyOptions? StoredDefaultOptions(IFileSystem fs, string path, EncryptionOptions? encryption)
    {
        if (!fs.FileExists(FileNames.CurrentPath(path))) return null;
        using var keys = DatabaseKeys.Open(fs, path, encryption, "opening it");
        string manifestPath = FileNames.Manifest(path, CurrentFile.Read(fs, path));
        var state = ReadManifest(fs, manifestPath, new InternalKeyComparator(KeyComparator.Bytewise), keys);
        if (state.Families[VersionSet.DefaultColumnFamilyId].Options is not { } stored) return new ColumnFamilyOptions();
        try { return ColumnFamilyOptionsCodec.Decode(stored); }
        catch (CorruptionException ex) { throw ex.At(manifestPath); }
    }

    /// <summary>Whether log or MANIFEST <paramref name="number"/> is sealed; without the key every one of an encrypted database counts as sealed.</summary>
    private static bool IsSealed(KeyRegistry? keys, bool locked, long number) => locked || (keys is not null && number >= keys.SealedFrom);

    private static bool IsEncrypted(byte[]? options)
    {
        if (options is null) return false;
        try { return ColumnFamilyOptionsCodec.Decode(options).Encrypted; }
        catch (CorruptionException) { return false; }
    }

    /// <summary>One directory entry: its kind and, for a table, the key its footer names (read without the key).</summary>
    private static DbFileInfo DescribeFile(IFileSystem fs, string db, string name, KeyRegistry? keys, bool locked)
    {
        var kind = FileNames.Parse(name, out long number);
        string full = System.IO.Path.Combine(db, name);
        uint keyId = 0;
        if (kind == DbFileKind.Table)
        {
            try
            {
                using var file = fs.OpenRead(full);
                keyId = TableReader.ReadKeyId(file);
            }
            catch (Exception ex) when (ex is CorruptionException or LatticeIOException or FileNotFoundException) { } // a damaged table: its key id is unknown
        }
        bool registry = KeyRegistry.TryParseName(name, out _);
        return new DbFileInfo
        {
            FileName = name,
            Kind = registry ? "key-registry" : KindName(kind),
            Size = SizeOf(fs, full),
            Sealed = keyId != 0 || registry || (kind is DbFileKind.Log or DbFileKind.Manifest && IsSealed(keys, locked, number)),
            KeyId = keyId,
            KeyGeneration = DatabaseKeys.Generation(keys, keyId),
        };
    }

    private static string KindName(DbFileKind kind) => kind switch
    {
        DbFileKind.Table => "table",
        DbFileKind.Blob => "blob",
        DbFileKind.Log => "log",
        DbFileKind.Manifest => "manifest",
        DbFileKind.Current => "current",
        DbFileKind.Options => "options",
        DbFileKind.Lock => "lock",
        DbFileKind.Identity => "identity",
        DbFileKind.Healings => "healings",
        DbFileKind.StorageHistory => "storage-history",
        DbFileKind.LiveStats => "live-stats",
        DbFileKind.HotSet => "hotset",
        DbFileKind.Events => "events",
        DbFileKind.Temp => "temp",
        _ => "other",
    };

    /// <summary>A file another process deletes while we look counts as empty.</summary>
    private static long SizeOf(IFileSystem fs, string path)
    {
        try { return fs.GetFileSize(path); }
        catch (FileNotFoundException) { return 0; }
    }

    /// <summary><c>num_levels</c> from the OPTIONS text, else the default.</summary>
    private static int ConfiguredLevels(string? optionsText)
    {
        const string key = "num_levels=";
        foreach (var line in (optionsText ?? "").Split('\n'))
        {
            if (line.StartsWith(key, StringComparison.Ordinal)
                && int.TryParse(line.AsSpan(key.Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n)
                && n is >= 2 and <= MaxLevels)
                return n;
        }
        return 7;
    }

    /// <summary>The most levels a database may have (<see cref="DbOptions.NumLevels"/>).</summary>
    private const int MaxLevels = 20;

    private static TableFileInfo Describe(IFileSystem fs, string db, int level, FileMetaData f, TableReaderOptions options, bool hideKeyRange)
    {
        var info = FromMetadata(f, level, options.Keys, hideKeyRange);
        try
        {
            using var reader = TableReader.Open(fs.OpenRead(FileNames.Table(db, f.Number)), f.Number, options);
            return WithProperties(info, reader.Properties);
        }
        catch (Exception ex) when (ex is CorruptionException or LatticeIOException or FileNotFoundException or EncryptionKeyException)
        {
            return info with { Error = ex.Message };
        }
    }

    /// <summary>What the MANIFEST says of a table; with <paramref name="hideKeyRange"/> its keys are withheld.</summary>
    internal static TableFileInfo FromMetadata(FileMetaData f, int level, KeyRegistry? keys = null, bool hideKeyRange = false) => new()
    {
        Number = f.Number,
        FileName = FileNames.TableName(f.Number),
        Level = level,
        FileSize = f.FileSize,
        SmallestKey = hideKeyRange ? [] : f.SmallestUserKey.ToArray(),
        LargestKey = hideKeyRange ? [] : f.LargestUserKey.ToArray(),
        KeyRangeHidden = hideKeyRange,
        KeyId = f.KeyId,
        KeyGeneration = DatabaseKeys.Generation(keys, f.KeyId),
        SmallestSequence = f.SmallestSequence,
        LargestSequence = f.LargestSequence,
        Entries = f.NumEntries,
        Deletions = f.NumDeletions,
        RangeDeletions = f.NumRangeDeletions,
    };

    /// <summary>Adds what the table's properties block says to <paramref name="info"/>.</summary>
    internal static TableFileInfo WithProperties(TableFileInfo info, TableProperties p) => info with
    {
        UncompressedDataSize = p.UncompressedDataSize,
        DataSize = p.DataSize,
        FilterSize = p.FilterSize,
        IndexSize = p.IndexSize,
        Compression = p.Compression,
        CreationTimeMs = p.CreationTimeMs,
        ColumnFamilyName = p.ColumnFamilyName,
        DataBlocks = p.NumDataBlocks,
        BloomBitsPerKey = p.BloomBitsPerKey,
    };

    internal sealed class FamilyState(string name, InternalKeyComparator cmp)
    {
        public string Name { get; set; } = name;
        public long LogNumber { get; set; }
        public byte[]? Options { get; set; }
        public VersionBuilder Builder { get; } = new(cmp, null, MaxLevels);
    }

    internal sealed record ManifestState(string Comparator, uint FormatVersion, ulong LastSequence, long NextFile, Dictionary<uint, FamilyState> Families);

    /// <summary>
    /// Replays a MANIFEST strictly: any damage is a <see cref="CorruptionException"/>, a
    /// comparator other than <paramref name="cmp"/>'s an <see cref="InvalidArgumentException"/>.
    /// The records of a sealed MANIFEST are opened with <paramref name="keys"/>.
    /// </summary>
    internal static ManifestState ReadManifest(IFileSystem fs, string manifestPath, InternalKeyComparator cmp, KeyRegistry? keys)
    {
        FileNames.Parse(System.IO.Path.GetFileName(manifestPath), out long number);
        IRandomAccessFile file;
        try { file = fs.OpenRead(manifestPath); }
        catch (FileNotFoundException ex) { throw new CorruptionException("MANIFEST named by CURRENT is missing", manifestPath, -1, ex); }
        string comparator = KeyComparator.Bytewise.Name;
        uint format = 0;
        ulong last = 0;
        long next = 0;
        var families = new Dictionary<uint, FamilyState> { [0] = new FamilyState(VersionSet.DefaultColumnFamilyName, cmp) };
        using (file)
        {
            var reader = new LogReader(file);
            foreach (var (record, offset) in VersionSet.ReadRecords(reader, keys, number, manifestPath))
            {
                List<VersionEdit> edits;
                try { edits = VersionEdit.DecodeRecord(record, MaxLevels); }
                catch (CorruptionException ex) { throw ex.At(manifestPath, offset); }
                foreach (var e in edits)
                {
                    if (e.Comparator is { } c) comparator = c;
                    if (e.FormatVersion is { } fv) format = fv;
                    if (e.LastSequence is { } l) last = l;
                    if (e.NextFileNumber is { } n) next = n;
                    if (e.ColumnFamilyAdd is { } name) families[e.ColumnFamilyId] = new FamilyState(name, cmp);
                    if (!families.TryGetValue(e.ColumnFamilyId, out var cf)) continue;
                    if (e.ColumnFamilyDrop)
                    {
                        families.Remove(e.ColumnFamilyId);
                        continue;
                    }
                    try { cf.Builder.Apply(e); }
                    catch (CorruptionException ex) { throw ex.At(manifestPath, offset); }
                    if (e.LogNumber is { } log) cf.LogNumber = log;
                    if (e.ColumnFamilyOptions is { } o) cf.Options = o;
                }
            }
            var bad = reader.Issues.FirstOrDefault(i => i.IntactRecordFollows || !i.IsTruncatedTail);
            if (bad.Reason is not null) throw new CorruptionException("MANIFEST damaged: " + bad.Reason, manifestPath, bad.Offset);
        }
        if (comparator != cmp.User.Name)
            throw new InvalidArgumentException($"The database was created with comparator '{comparator}', not '{cmp.User.Name}'.", "comparator");
        return new ManifestState(comparator, format, last, next, families);
    }
}
