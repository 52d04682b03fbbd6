using System.Text;
using LatticeKV.Inspect;
using LatticeKV.Io;
using LatticeKV.Keys;
using LatticeKV.Sst;
using LatticeKV.Tests.Crypto;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Db;

/// <summary>
/// Values of <see cref="ColumnFamilyOptions.LargeValueCompressionThreshold"/> bytes or more are
/// stored in zstd blocks (FORMAT.md §3.1): read back unchanged through every read path, smaller
/// than Snappy would store them, sealed after compression in encrypted families, skipped for
/// scoped families, and recorded as database format 8 only once a table holds such a block.
/// </summary>
public sealed class LargeValueCompressionTests
{
    private static readonly InternalKeyComparator Cmp = new(KeyComparator.Bytewise);

    /// <summary>Compressible text of <paramref name="size"/> bytes (words of a small vocabulary), different per <paramref name="seed"/>.</summary>
    internal static byte[] Text(int size, int seed)
    {
        string[] words = ["ledger", "account", "balance", "transfer", "lattice", "value", "sample", "research", "object", "field"];
        var random = new Random(seed);
        var sb = new StringBuilder(size + 16);
        while (sb.Length < size) sb.Append(words[random.Next(words.Length)]).Append(random.Next(1000)).Append(' ');
        return Encoding.ASCII.GetBytes(sb.ToString(0, size));
    }

    [Theory]
    [InlineData(999, 0)]
    [InlineData(1000, 1)]
    [InlineData(1001, 1)]
    public void TableBuilder_ValueAroundThreshold_ZstdOnlyFromThreshold(int size, int expectedZstdBlocks)
    {
        var fs = new MemFileSystem();
        fs.CreateDirectory("/t");
        var value = Text(size, size);
        int zstdBlocks;
        using (var builder = new TableBuilder(fs.CreateWritable("/t/000001.sst"), new TableBuilderOptions(Cmp, 4096, 16, CompressionType.Snappy, 10, LargeValueThreshold: 1000)))
        {
            builder.Add(InternalKey.Create("big"u8, 1, ValueKind.Value), value);
            builder.Add(InternalKey.Create("small"u8, 2, ValueKind.Value), "v"u8);
            builder.Finish();
            zstdBlocks = builder.ZstdBlocks;
        }
        Assert.Equal(expectedZstdBlocks, zstdBlocks);
        using var table = TableReader.Open(fs.OpenRead("/t/000001.sst"), 1, new TableReaderOptions(Cmp, null, true));
        Assert.True(table.Get(InternalKey.Create("big"u8, InternalKey.MaxSequence, ValueKinds.ForSeek), true, out _, out var block, out int offset, out int length));
        Assert.Equal(value, block!.Data.AsSpan(offset, length).ToArray());
    }

    [Fact]
    public void PutFlushReopen_SizesAroundThreshold_ReadBackByEveryPath()
    {
        int[] sizes = [100, 16 * 1024 - 1, 16 * 1024, 16 * 1024 + 1, 64 * 1024, 1024 * 1024];
        using var dir = new TempDir("zstd-sizes");
        // Values stay in tables (no blob files, FORMAT.md §21), so the 1 MiB one is a zstd block too.
        var options = new DbOptions();
        options.DefaultColumnFamilyOptions.BlobValueThreshold = 0;
        using (var db = LatticeDb.Open(dir.Path, options))
        {
            for (int i = 0; i < sizes.Length; i++) db.Put(B($"k{i}"), Text(sizes[i], i));
            db.Flush();
        }
        Assert.Equal(8u, DatabaseInspector.Inspect(dir.Path).FormatVersion);
        using (var db = LatticeDb.Open(dir.Path, options))
        {
            for (int i = 0; i < sizes.Length; i++)
            {
                Assert.Equal(Text(sizes[i], i), db.Get(B($"k{i}")));
                var buffer = new byte[sizes[i]];
                Assert.True(db.TryGet(B($"k{i}"), buffer, out int length));
                Assert.Equal(sizes[i], length);
                Assert.Equal(Text(sizes[i], i), buffer);
            }
            using var it = db.NewIterator();
            int n = 0;
            for (it.SeekToFirst(); it.Valid; it.Next(), n++) Assert.Equal(Text(sizes[n], n), it.Value.ToArray());
            Assert.Equal(sizes.Length, n);
            db.CompactRange();
            for (int i = 0; i < sizes.Length; i++) Assert.Equal(Text(sizes[i], i), db.Get(B($"k{i}")));
        }
        Assert.Equal(8u, DatabaseInspector.Inspect(dir.Path).FormatVersion);
    }

    [Fact]
    public void Flush_LargeValues_SmallerThanWithSnappyOnly()
    {
        long zstd = TableBytes(ColumnFamilyOptions.DefaultLargeValueCompressionThreshold, "zstd-size-on");
        long snappy = TableBytes(0, "zstd-size-off");
        Assert.True(zstd < snappy * 9 / 10, $"zstd tables {zstd} bytes, Snappy tables {snappy} bytes");
    }

    private static long TableBytes(int threshold, string name)
    {
        using var dir = new TempDir(name);
        using (var db = LatticeDb.Open(dir.Path, new DbOptions { DefaultColumnFamilyOptions = new ColumnFamilyOptions { LargeValueCompressionThreshold = threshold } }))
        {
            for (int i = 0; i < 8; i++) db.Put(B($"k{i}"), Text(64 * 1024, i));
            db.Flush();
        }
        Assert.Equal(threshold > 0 ? 8u : 3u, DatabaseInspector.Inspect(dir.Path).FormatVersion);
        return Directory.EnumerateFiles(dir.Path, "*.sst").Sum(f => new FileInfo(f).Length);
    }

    [Fact]
    public void Flush_OnlySmallValues_StaysAtFormatThree()
    {
        using var dir = new TempDir("zstd-small");
        using (var db = LatticeDb.Open(dir.Path))
        {
            for (int i = 0; i < 100; i++) db.Put(B($"k{i}"), Text(1000, i));
            db.Flush();
        }
        Assert.Equal(3u, DatabaseInspector.Inspect(dir.Path).FormatVersion);
    }

    [Fact]
    public void Threshold_StoredAndReappliedAtOpen()
    {
        using var dir = new TempDir("zstd-stored");
        using (var db = LatticeDb.Open(dir.Path)) db.CreateColumnFamily("blobs", new ColumnFamilyOptions { LargeValueCompressionThreshold = 2000, LargeValueCompressionLevel = 9 });
        using (var db = LatticeDb.Open(dir.Path))
        {
            var cf = db.GetColumnFamily("blobs");
            db.Put(cf, B("k"), Text(2000, 1));
            db.Flush(cf);
            Assert.Equal(Text(2000, 1), db.Get(cf, B("k")));
        }
        // Only the stored threshold (2000, not the default 16 KiB) makes this 2000-byte value zstd.
        Assert.Equal(8u, DatabaseInspector.Inspect(dir.Path).FormatVersion);
    }

    [Theory]
    [InlineData(-1, 3)]
    [InlineData(100, 0)]
    [InlineData(100, 23)]
    public void Open_BadLargeValueOptions_InvalidArgument(int threshold, int level)
    {
        using var dir = new TempDir("zstd-bad");
        var options = new DbOptions { DefaultColumnFamilyOptions = new ColumnFamilyOptions { LargeValueCompressionThreshold = threshold, LargeValueCompressionLevel = level } };
        Assert.Throws<InvalidArgumentException>(() => LatticeDb.Open(dir.Path, options));
    }

    [Fact]
    public void EncryptedFamily_LargeValues_NoPlaintextOnDisk_AndReadBack()
    {
        using var dir = new TempDir("zstd-encrypted");
        var key = EncryptionSupport.NewKey();
        var sentinels = new List<byte[]>();
        var values = new List<byte[]>();
        using (var db = LatticeDb.Open(dir.Path, EncryptionSupport.Options(key)))
        {
            for (int i = 0; i < 6; i++)
            {
                // A sentinel inside compressible text: it would survive zstd as a literal if the block were not sealed.
                var sentinel = EncryptionSupport.Sentinel();
                var value = Text(40 * 1024, i);
                sentinel.CopyTo(value, 20 * 1024);
                sentinels.Add(sentinel);
                values.Add(value);
                db.Put(B($"k{i}"), value);
            }
            db.Flush();
            db.CompactRange();
        }
        Assert.Equal(0, EncryptionSupport.CountFound(dir.Path, sentinels));
        // Zstd blocks need format 8; every encrypted database this build writes records 11 (compact sealed logs).
        Assert.Equal(11u, DatabaseInspector.Inspect(dir.Path, EncryptionOptions.FromKey(key)).FormatVersion);
        using (var db = LatticeDb.Open(dir.Path, EncryptionSupport.Options(key)))
            for (int i = 0; i < values.Count; i++) Assert.Equal(values[i], db.Get(B($"k{i}")));
    }

    [Fact]
    public void ScopedFamily_LargeValues_RoundTripAndRecordTheEncryptedFormat()
    {
        using var dir = new TempDir("zstd-scoped");
        var key = EncryptionSupport.NewKey();
        var options = EncryptionSupport.Options(key);
        options.DefaultColumnFamilyOptions.EncryptionScope = static k => k[..1];
        using (var db = LatticeDb.Open(dir.Path, options))
        {
            db.Put(B("a1"), Text(64 * 1024, 1));
            db.Flush();
            Assert.Equal(Text(64 * 1024, 1), db.Get(B("a1")));
        }
        // Sealed values do not compress (no zstd block is written); the database records the encrypted format, 11.
        Assert.Equal(11u, DatabaseInspector.Inspect(dir.Path, EncryptionOptions.FromKey(key)).FormatVersion);
    }

    [Fact]
    public void MergeAndTransaction_OverLargeValues_ReadThroughZstdBlocks()
    {
        using var dir = new TempDir("zstd-merge");
        using var db = LatticeDb.Open(dir.Path);
        var cf = db.CreateColumnFamily("append", new ColumnFamilyOptions { MergeOperator = MergeOperators.StringAppend });
        var baseValue = Text(40 * 1024, 7);
        db.Put(cf, B("doc"), baseValue);
        db.Flush(cf);
        db.Merge(cf, B("doc"), B("+tail"));
        Assert.Equal((byte[])[.. baseValue, .. B("+tail")], db.Get(cf, B("doc")));
        db.Flush(cf);
        db.CompactRange(cf);
        Assert.Equal((byte[])[.. baseValue, .. B("+tail")], db.Get(cf, B("doc")));

        db.Put(B("t"), Text(100 * 1024, 8));
        db.Flush();
        using (var txn = db.BeginTransaction())
        {
            Assert.Equal(Text(100 * 1024, 8), txn.Get(B("t")));
            txn.Put(B("t2"), Text(100 * 1024, 9));
            txn.Commit();
        }
        db.Flush();
        Assert.Equal(Text(100 * 1024, 9), db.Get(B("t2")));
    }

    [Fact]
    public void FlippedByteInZstdBlock_Get_CorruptionNamingTheTable()
    {
        using var dir = new TempDir("zstd-corrupt");
        using (var db = LatticeDb.Open(dir.Path))
        {
            db.Put(B("k"), Text(64 * 1024, 3));
            db.Flush();
        }
        string table = Directory.EnumerateFiles(dir.Path, "*.sst").Single();
        var bytes = File.ReadAllBytes(table);
        bytes[100] ^= 0x40; // inside the first data block: the large value's zstd block
        File.WriteAllBytes(table, bytes);
        using var reopened = LatticeDb.Open(dir.Path);
        var ex = Assert.Throws<CorruptionException>(() => reopened.Get(B("k")));
        Assert.Contains(Path.GetFileName(table), ex.Message, StringComparison.Ordinal);
    }
}
