using LatticeKV.Crypto;
using LatticeKV.Db;
using LatticeKV.Io;
using LatticeKV.Keys;
using LatticeKV.Sst;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Crypto;

/// <summary>
/// A closed encrypted database on the in-memory file system for tamper tests, built once:
/// the default family (random sentinel keys and values) has a table at a deeper level, a level-0
/// table with a range deletion, and batches only in the write-ahead log; the family "fixed"
/// (entries of one size, uncompressed) has two tables whose data blocks all have the same stored
/// size, so blocks can be swapped or copied between them without moving any other byte.
/// <see cref="Model"/> is what a correct read returns.
/// </summary>
internal sealed class EncryptedReference
{
    public const string Fixed = "fixed";
    public const int LogBatches = 20;

    private EncryptedReference(MemFileSystem fs, byte[] key)
    {
        Pristine = fs;
        MasterKey = key;
    }

    public MemFileSystem Pristine { get; }

    public byte[] MasterKey { get; }

    /// <summary>Family name → key → value, as written (minus what the range deletion removed).</summary>
    public Dictionary<string, SortedDictionary<byte[], byte[]>> Model { get; } = [];

    /// <summary>The keys of the batches that are only in the log, oldest first (one put each, default family).</summary>
    public List<byte[]> LogOnlyKeys { get; } = [];

    /// <summary>Every random key and value written: none may appear in a file or a message.</summary>
    public List<byte[]> Sentinels { get; } = [];

    /// <summary>A default-family table as it was before compaction replaced it, and its number.</summary>
    public (long Number, byte[] Bytes) Replaced { get; private set; }

    /// <summary>The default family's table below level 0 (the output of the compaction).</summary>
    public long DeepTable { get; private set; }

    /// <summary>The default family's level-0 table holding a range-deletion block.</summary>
    public long RangeDeletionTable { get; private set; }

    /// <summary>The two tables of <see cref="Fixed"/>, with data blocks of one stored size.</summary>
    public long[] FixedTables { get; private set; } = [];

    public DbOptions Options(MemFileSystem fs) => new()
    {
        FileSystem = fs,
        CreateIfMissing = false,
        BlockCacheCapacity = 0,
        Encryption = EncryptionOptions.FromKey(MasterKey),
        WriteBufferSize = 4 << 20,
        Level0FileNumCompactionTrigger = 16, // only the compactions the build asks for
        DefaultColumnFamilyOptions = new ColumnFamilyOptions { Encrypted = true },
        ColumnFamilyOptions = { [Fixed] = FixedOptions() },
    };

    private static ColumnFamilyOptions FixedOptions() => new() { Encrypted = true, Compression = CompressionType.None, BlockSize = 1024 };

    public static EncryptedReference Build()
    {
        var fs = new MemFileSystem();
        fs.CreateDirectory(TestDb.DbPath);
        var reference = new EncryptedReference(fs, EncryptionSupport.NewKey());
        var options = reference.Options(fs);
        options.CreateIfMissing = true;
        var main = reference.Family("default");
        var fixedModel = reference.Family(Fixed);
        using (var db = LatticeDb.Open(TestDb.DbPath, options))
        {
            var fixedCf = db.CreateColumnFamily(Fixed, FixedOptions());
            reference.PutSentinels(db, main, 200);
            db.Flush();
            var tables = TableNumbers(fs);
            long first = Assert.Single(tables);
            var before = fs.GetContents(FileNames.Table(TestDb.DbPath, first));
            reference.PutSentinels(db, main, 200);
            db.Flush();
            db.CompactRange();
            reference.DeepTable = Assert.Single(TableNumbers(fs));
            reference.Replaced = (first, before);

            reference.PutSentinels(db, main, 150);
            // A range deletion over part of the compacted keys: the level-0 table gets a range-deletion block.
            var doomed = main.Keys.Skip(40).Take(30).ToList();
            var end = main.Keys.Skip(70).First();
            db.DeleteRange(doomed[0], end);
            foreach (var k in doomed) main.Remove(k);
            db.Flush();
            reference.RangeDeletionTable = Assert.Single(TableNumbers(fs).Except([reference.DeepTable]));

            // Entries of one size whose keys all share exactly their first byte: every full data
            // block holds as many entries as the others and has the same stored size.
            foreach (byte prefix in "fg"u8.ToArray())
            {
                for (int i = 0; i < 256; i++)
                {
                    byte[] k = [prefix, (byte)i, .. "-entry"u8];
                    var v = TestDb.B(new string((char)('0' + i % 10), 100));
                    db.Put(fixedCf, k, v);
                    fixedModel[k] = v;
                }
                db.Flush(fixedCf);
            }
            reference.FixedTables = [.. TableNumbers(fs).Except([reference.DeepTable, reference.RangeDeletionTable])];
            Assert.Equal(2, reference.FixedTables.Length);

            // The newest batches live only in the (sealed) log.
            for (int i = 0; i < LogBatches; i++)
            {
                var (k, _) = reference.PutSentinel(db, main, new WriteOptions { Sync = true });
                reference.LogOnlyKeys.Add(k);
            }
        }
        return reference;
    }

    private SortedDictionary<byte[], byte[]> Family(string name)
    {
        var m = new SortedDictionary<byte[], byte[]>(ByteArrayComparer.Instance);
        Model[name] = m;
        return m;
    }

    private void PutSentinels(LatticeDb db, SortedDictionary<byte[], byte[]> model, int count)
    {
        for (int i = 0; i < count; i++) PutSentinel(db, model, null);
    }

    private (byte[] Key, byte[] Value) PutSentinel(LatticeDb db, SortedDictionary<byte[], byte[]> model, WriteOptions? options)
    {
        byte[] k = EncryptionSupport.Sentinel(), v = EncryptionSupport.Sentinel();
        Sentinels.Add(k);
        Sentinels.Add(v);
        db.Put(k, v, options);
        model[k] = v;
        return (k, v);
    }

    /// <summary>How many <see cref="Sentinels"/> occur in any file of <paramref name="fs"/> (see <see cref="EncryptionSupport.CountFound"/>).</summary>
    public int SentinelsOnDisk(MemFileSystem fs)
    {
        var files = fs.ListFiles(TestDb.DbPath).Select(n => fs.GetContents(PathOf(n))).ToList();
        return Sentinels.Count(s => files.Any(bytes => bytes.AsSpan().IndexOf(s) >= 0 || bytes.AsSpan().IndexOf(s.AsSpan(4)) >= 0));
    }

    public static string PathOf(string name) => Path.Combine(TestDb.DbPath, name);

    public static List<long> TableNumbers(MemFileSystem fs)
        => [.. fs.ListFiles(TestDb.DbPath).Select(n => (Kind: FileNames.Parse(n, out long num), num)).Where(x => x.Kind == DbFileKind.Table).Select(x => x.num).Order()];

    /// <summary>The newest file of <paramref name="kind"/> (the log holding the unflushed batches, the live MANIFEST).</summary>
    public static string Newest(MemFileSystem fs, DbFileKind kind)
        => PathOf(fs.ListFiles(TestDb.DbPath).Select(n => (Kind: FileNames.Parse(n, out long num), Name: n, Number: num))
            .Where(x => x.Kind == kind).MaxBy(x => x.Number).Name);

    public static string Registry(MemFileSystem fs) => KeyRegistry.PathOf(TestDb.DbPath, KeyRegistry.Find(fs, TestDb.DbPath)[^1]);

    /// <summary>The key registry of <paramref name="fs"/>, opened read-only with the master key.</summary>
    public KeyRegistry OpenRegistry(MemFileSystem fs)
        => KeyRegistry.Open(new LogFramedRecords(fs), TestDb.DbPath, EncryptionOptions.FromKey(MasterKey).Source)
            ?? throw new InvalidOperationException("no key registry");

    /// <summary>Block layout of a sealed table: footer, metaindex entries and data block handles.</summary>
    public TableLayout Layout(MemFileSystem fs, long number)
    {
        using var keys = OpenRegistry(fs);
        string path = FileNames.Table(TestDb.DbPath, number);
        using var reader = TableReader.Open(fs.OpenRead(path), number, new TableReaderOptions(new InternalKeyComparator(KeyComparator.Bytewise), null, false, keys: keys));
        Assert.True(reader.IsEncrypted, $"{path} is not sealed");
        var data = Enumerable.Range(0, reader.Fences.Count).Select(reader.Fences.Handle).ToList();
        return new TableLayout(path, number, fs.GetFileSize(path), reader.Footer, new Dictionary<string, BlockHandle>(reader.MetaBlocks), data);
    }
}

/// <summary>Where the blocks of one table are.</summary>
internal sealed record TableLayout(string Path, long Number, long Length, Footer Footer, Dictionary<string, BlockHandle> Meta, List<BlockHandle> Data)
{
    public long FooterOffset => Length - Footer.Size;
}
