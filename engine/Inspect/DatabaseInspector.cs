using LatticeKV.Coding;
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
    /// </summary>
    /// <exception cref="DbNotFoundException">No database is there.</exception>
    /// <exception cref="CorruptionException">CURRENT or the MANIFEST is damaged (damaged tables are reported in <see cref="TableFileInfo.Error"/>).</exception>
    /// <exception cref="InvalidArgumentException">The database was created with another comparator.</exception>
    public static DatabaseInfo Inspect(string path, KeyComparator? comparator = null)
        => Inspect(System.IO.Path.GetFullPath(path), RealFileSystem.Instance, comparator ?? KeyComparator.Bytewise);

    internal static DatabaseInfo Inspect(string path, IFileSystem fs, KeyComparator comparator)
    {
        if (!fs.DirectoryExists(path) || !fs.FileExists(FileNames.CurrentPath(path))) throw new DbNotFoundException(path);
        long manifestNumber = CurrentFile.Read(fs, path);
        string manifestPath = FileNames.Manifest(path, manifestNumber);
        var cmp = new InternalKeyComparator(comparator);
        var state = ReadManifest(fs, manifestPath, cmp);
        var names = fs.ListFiles(path);
        var readerOptions = new TableReaderOptions(cmp, null, false);
        long optionsNumber = names.Select(n => (Kind: FileNames.Parse(n, out long num), Number: num)).Where(x => x.Kind == DbFileKind.Options).Select(x => x.Number).DefaultIfEmpty(0).Max();
        string? optionsText = null;
        if (optionsNumber > 0)
        {
            try { optionsText = Utf8.GetString(fs.ReadAllBytes(FileNames.Options(path, optionsNumber))); }
            catch (Exception ex) when (ex is CorruptionException or LatticeIOException or FileNotFoundException) { }
        }
        int configuredLevels = ConfiguredLevels(optionsText);
        var families = new List<ColumnFamilyInfo>();
        foreach (var (id, cf) in state.Families.OrderBy(kv => kv.Key))
        {
            var version = cf.Builder.Build(null);
            int used = Enumerable.Range(0, version.NumLevels).LastOrDefault(l => version.NumFiles(l) > 0, -1) + 1;
            var levels = new List<LevelInfo>();
            for (int level = 0; level < Math.Max(configuredLevels, used); level++)
            {
                var files = new List<TableFileInfo>();
                foreach (var f in version.Files(level)) files.Add(Describe(fs, path, level, f, readerOptions));
                levels.Add(new LevelInfo { Level = level, Files = files });
            }
            families.Add(new ColumnFamilyInfo
            {
                Name = cf.Name,
                Id = id,
                LogNumber = cf.LogNumber,
                Options = cf.Options is null ? "" : Utf8.GetString(cf.Options),
                Levels = levels,
            });
        }
        var logs = names.Select(n => (Kind: FileNames.Parse(n, out long num), Number: num, Name: n))
            .Where(x => x.Kind == DbFileKind.Log).OrderBy(x => x.Number)
            .Select(x => new LogFileInfo { Number = x.Number, FileName = x.Name, Size = SizeOf(fs, System.IO.Path.Combine(path, x.Name)) }).ToList();
        return new DatabaseInfo
        {
            Path = path,
            FormatVersion = state.FormatVersion,
            Comparator = state.Comparator,
            Manifest = FileNames.ManifestName(manifestNumber),
            ManifestSize = SizeOf(fs, manifestPath),
            LastSequence = state.LastSequence,
            NextFileNumber = state.NextFile,
            ColumnFamilies = families,
            LogFiles = logs,
            OptionsText = optionsText,
            TotalBytes = names.Sum(n => SizeOf(fs, System.IO.Path.Combine(path, n))),
        };
    }

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

    private static TableFileInfo Describe(IFileSystem fs, string db, int level, FileMetaData f, TableReaderOptions options)
    {
        var info = FromMetadata(f, level);
        try
        {
            using var reader = TableReader.Open(fs.OpenRead(FileNames.Table(db, f.Number)), f.Number, options);
            return WithProperties(info, reader.Properties);
        }
        catch (Exception ex) when (ex is CorruptionException or LatticeIOException or FileNotFoundException)
        {
            return info with { Error = ex.Message };
        }
    }

    /// <summary>What the MANIFEST says of a table.</summary>
    internal static TableFileInfo FromMetadata(FileMetaData f, int level) => new()
    {
        Number = f.Number,
        FileName = FileNames.TableName(f.Number),
        Level = level,
        FileSize = f.FileSize,
        SmallestKey = f.SmallestUserKey.ToArray(),
        LargestKey = f.LargestUserKey.ToArray(),
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
    /// </summary>
    internal static ManifestState ReadManifest(IFileSystem fs, string manifestPath, InternalKeyComparator cmp)
    {
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
            while (reader.ReadRecord(out var record, out long offset))
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
