using System.Buffers.Binary;
using LatticeKV.Coding;
using LatticeKV.Db;
using LatticeKV.Io;
using LatticeKV.Keys;
using LatticeKV.Manifest;
using LatticeKV.Sst;
using LatticeKV.Wal;

namespace LatticeKV.Tests.Fuzz;

/// <summary>
/// The decoders of on-disk structures, each driven to the end over arbitrary bytes. The contract
/// under test: bad input raises <see cref="CorruptionException"/> and nothing else (the log
/// reader raises nothing: it reports damage), and every loop terminates.
/// </summary>
internal static class FuzzTargets
{
    private static readonly InternalKeyComparator Cmp = new(KeyComparator.Bytewise);
    private const int StepLimit = 100_000;

    public static readonly IReadOnlyDictionary<string, Action<byte[]>> All = new Dictionary<string, Action<byte[]>>
    {
        ["log"] = LogFile,
        ["batch"] = Batch,
        ["block"] = BlockBytes,
        ["table"] = Table,
        ["manifest-record"] = ManifestRecord,
        ["footer"] = FooterBytes,
        ["snappy-block"] = SnappyBlock,
        ["zstd-block"] = ZstdBlock,
        ["cf-options"] = ColumnFamilyOptionsBytes,
        ["backup-descriptor"] = BackupDescriptorJson,
        ["archived-log-list"] = ArchivedLogListJson,
        ["identity"] = IdentityFile,
        ["hotset"] = HotSet,
        ["blob-reference"] = BlobReferenceBytes,
        ["blob-record"] = BlobRecord,
        ["blob-file"] = BlobFile,
    };

    public static void BlobReferenceBytes(byte[] bytes) => LatticeKV.Blob.BlobReference.Decode(bytes);

    /// <summary>One blob record (header and stored bytes): its CRC is recomputed so mutations reach the decoder behind it.</summary>
    public static void BlobRecord(byte[] bytes)
    {
        if (bytes.Length >= LatticeKV.Blob.BlobFileFormat.RecordHeaderSize)
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(12), LatticeKV.Blob.BlobFileFormat.RecordCrc(bytes, bytes.AsSpan(16)));
        LatticeKV.Blob.BlobFileReader.Decode(bytes, "/b/000001.blob", 16, out _);
    }

    /// <summary>A whole blob file: opened, every record verified, and the seed's references read.</summary>
    public static void BlobFile(byte[] bytes)
    {
        var fs = new MemFileSystem();
        fs.CreateDirectory("/b");
        using (var w = fs.CreateWritable("/b/000001.blob")) w.Append(bytes);
        LatticeKV.Blob.BlobFileReader reader;
        // A header claiming a sealed file (version 2, FORMAT.md §21.7) cannot be opened without a key registry: that typed refusal is accepted too.
        try { reader = LatticeKV.Blob.BlobFileReader.Open(fs.OpenRead("/b/000001.blob"), 1); }
        catch (EncryptionKeyException) { return; }
        using var _ = reader;
        foreach (var reference in BlobSeedReferences)
            try { reader.Read(reference); } catch (CorruptionException) { }
        reader.VerifyAll();
    }

    private static readonly List<LatticeKV.Blob.BlobReference> BlobSeedReferences = [];

    private static byte[] BlobSeedFile()
    {
        var fs = new MemFileSystem();
        fs.CreateDirectory("/b");
        var references = new List<LatticeKV.Blob.BlobReference>();
        using (var w = new LatticeKV.Blob.BlobFileWriter(fs.CreateWritable("/b/000001.blob"), 1, 0, 3))
        {
            references.Add(w.Add(ValueKind.Value, "short"u8));
            references.Add(w.Add(ValueKind.TimedValue, System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("compressible ", 40)))));
            references.Add(w.Add(ValueKind.Value, new byte[300]));
            w.Finish();
        }
        lock (BlobSeedReferences)
            if (BlobSeedReferences.Count == 0) BlobSeedReferences.AddRange(references);
        return fs.GetContents("/b/000001.blob");
    }

    /// <summary>A HOTSET file's body: its checksum is appended so mutations reach the parser.</summary>
    public static void HotSet(byte[] body)
    {
        var bytes = new byte[body.Length + 4];
        body.CopyTo(bytes, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(body.Length), Crc32C.Mask(Crc32C.Compute(body)));
        HotSetFile.Decode(bytes, "/d/HOTSET");
    }

    /// <summary>A backup descriptor's JSON: the checksum line is appended so mutations reach the parser.</summary>
    public static void BackupDescriptorJson(byte[] json)
    {
        var trailer = System.Text.Encoding.ASCII.GetBytes("\nxxh3 " + System.IO.Hashing.XxHash3.HashToUInt64(json).ToString("x16", System.Globalization.CultureInfo.InvariantCulture) + "\n");
        var d = LatticeKV.Backup.BackupDescriptor.Decode([.. json, .. trailer], "/b/meta/1");
        foreach (var f in d.Files)
        {
            Assert.DoesNotContain("..", f.StoredPath, StringComparison.Ordinal);
            Assert.DoesNotContain('/', f.Name);
            Assert.All(f.Parts, p => Assert.DoesNotContain("..", p.Path, StringComparison.Ordinal));
            Assert.Equal(f.Size, f.Parts.Sum(p => p.Size));
        }
    }

    /// <summary>An archived log list's JSON (a log archived as pieces): the checksum line is appended so mutations reach the parser.</summary>
    public static void ArchivedLogListJson(byte[] json)
    {
        var entry = LatticeKV.Backup.ArchivedLogPieces.Decode(LatticeKV.Backup.BackupDescriptor.Sealed(json), "/b/archive/t/000015.logpieces");
        Assert.DoesNotContain('/', entry.Name);
        Assert.All(entry.Parts, p => Assert.DoesNotContain("..", p.Path, StringComparison.Ordinal));
        Assert.Equal(entry.Size, entry.Parts.Sum(p => p.Size));
    }

    public static void IdentityFile(byte[] bytes) => LatticeKV.Db.DatabaseIdentity.Parse(bytes, "/d/IDENTITY");

    /// <summary>Runs a target; a <see cref="CorruptionException"/> is an accepted outcome.</summary>
    public static void Run(string target, byte[] input)
    {
        try { All[target](input); }
        catch (CorruptionException) { }
    }

    public static void LogFile(byte[] bytes)
    {
        var fs = new MemFileSystem();
        fs.CreateDirectory("/f");
        using (var w = fs.CreateWritable("/f/x")) w.Append(bytes);
        using var file = fs.OpenRead("/f/x");
        var reader = new LogReader(file);
        int steps = 0;
        // The reader must never throw: damage is reported in Issues.
        while (reader.ReadRecord(out var record, out long offset))
        {
            if (++steps > StepLimit) throw new InvalidOperationException("log reader does not terminate");
            if (offset < 0 || offset > bytes.Length) throw new InvalidOperationException($"record offset {offset} outside the file");
            _ = record.Length;
        }
        foreach (var issue in reader.Issues)
            if (issue.Offset < 0 || issue.Offset > bytes.Length) throw new InvalidOperationException($"issue offset {issue.Offset} outside the file");
    }

    public static void Batch(byte[] bytes)
    {
        var reader = new WriteBatchReader(bytes);
        int steps = 0;
        while (reader.MoveNext())
            if (++steps > StepLimit) throw new InvalidOperationException("batch reader does not terminate");
    }

    public static void BlockBytes(byte[] bytes)
    {
        var block = new Block(bytes, bytes.Length);
        foreach (var comparer in new[] { SpanComparer.Bytewise, SpanComparer.For(Cmp) })
        {
            var it = new BlockIterator(comparer);
            it.Reset(block);
            int steps = 0;
            for (it.SeekToFirst(); it.Valid; it.Next()) Step(ref steps);
            for (it.SeekToLast(); it.Valid; it.Prev()) Step(ref steps);
            var target = InternalKey.Create(bytes.AsSpan(0, Math.Min(8, bytes.Length)), 5, ValueKind.Value);
            it.Seek(target);
            it.SeekForPrev(target);
            if (comparer != SpanComparer.Bytewise) IndexFences.Build(block, comparer, bytewise: true);
            TableProperties.Decode(block);
        }
    }

    private static void Step(ref int steps)
    {
        if (++steps > StepLimit) throw new InvalidOperationException("block iterator does not terminate");
    }

    public static void Table(byte[] bytes)
    {
        var fs = new MemFileSystem();
        fs.CreateDirectory("/t");
        using (var w = fs.CreateWritable("/t/000001.sst")) w.Append(bytes);
        using var table = TableReader.Open(fs.OpenRead("/t/000001.sst"), 1, new TableReaderOptions(Cmp, new LatticeKV.Cache.BlockCache<Block>(1 << 20), false));
        using (var it = table.NewIterator(fillCache: true))
        {
            int steps = 0;
            for (it.SeekToFirst(); it.Valid; it.Next()) Step(ref steps);
            for (it.SeekToLast(); it.Valid; it.Prev()) Step(ref steps);
        }
        foreach (var k in new[] { "a"u8.ToArray(), "key000010"u8.ToArray(), [0xFF, 0xFF] })
            table.Get(InternalKey.Create(k, InternalKey.MaxSequence, ValueKinds.ForSeek), true, out _, out _, out _, out _);
        table.VerifyAll();
    }

    public static void ManifestRecord(byte[] bytes) => VersionEdit.DecodeRecord(bytes, 7);

    public static void FooterBytes(byte[] bytes)
    {
        if (bytes.Length != Footer.Size) Array.Resize(ref bytes, Footer.Size);
        Footer.Decode(bytes, "fuzz", 0);
    }

    public static void SnappyBlock(byte[] bytes) => StoredBlock(bytes, CompressionType.Snappy);

    public static void ZstdBlock(byte[] bytes) => StoredBlock(bytes, CompressionType.Zstd);

    private static void StoredBlock(byte[] bytes, CompressionType type)
    {
        // A stored block of the given bytes with a valid trailer saying <type>: only decompression can object.
        var fs = new MemFileSystem();
        fs.CreateDirectory("/s");
        var stored = new byte[bytes.Length + BlockTrailer.Size];
        bytes.CopyTo(stored, 0);
        BlockTrailer.Write(stored.AsSpan(bytes.Length), bytes, (byte)type);
        using (var w = fs.CreateWritable("/s/b")) w.Append(stored);
        using var file = fs.OpenRead("/s/b");
        var contents = BlockTrailer.ReadContents(file, stored.Length, new BlockHandle(0, bytes.Length), true, out int length);
        _ = new Block(contents, length);
    }

    public static void ColumnFamilyOptionsBytes(byte[] bytes) => ColumnFamilyOptionsCodec.Decode(bytes);

    /// <summary>A small valid input per target, for mutation.</summary>
    public static byte[] ValidSeed(string target)
    {
        switch (target)
        {
            case "backup-descriptor":
            {
                var d = new LatticeKV.Backup.BackupDescriptor
                {
                    Id = 3, TimestampMs = 1764583200000, Sequence = 1234, DatabaseId = new string('a', 32), Timeline = new string('b', 32),
                    Metadata = "nightly", NewBytes = 10,
                    Files = [new("000012.sst", "shared/x.sst", "table", 2048, 0x89abcdef01234567UL), new("CURRENT", "private/3/CURRENT", "current", 16, 7),
                        new("000015.log", "shared/p0.logpiece", "log", 150, 9,
                            [new LatticeKV.Backup.BackupPiece("shared/p0.logpiece", 0, 100, 5), new LatticeKV.Backup.BackupPiece("shared/p1.logpiece", 100, 50, 6)])],
                };
                var bytes = d.Encode();
                return bytes[..^(1 + 5 + 16 + 1)];
            }
            case "archived-log-list":
            {
                var entry = new LatticeKV.Backup.BackupFileEntry("000015.log", "shared/p0.logpiece", "log", 150, 9,
                    [new LatticeKV.Backup.BackupPiece("shared/p0.logpiece", 0, 100, 5), new LatticeKV.Backup.BackupPiece("shared/p1.logpiece", 100, 50, 6)]);
                return LatticeKV.Backup.ArchivedLogPieces.Encode(entry)[..^(1 + 5 + 16 + 1)];
            }
            case "hotset":
                return HotSetFile.Encode([new HotBlock(7, 0, 4096), new HotBlock(7, 4101, 3990), new HotBlock(12, 812, 77)])[..^4];
            case "identity":
                return LatticeKV.Db.DatabaseIdentity.NewDatabase().Encode();
            case "log":
            {
                var fs = new MemFileSystem();
                fs.CreateDirectory("/l");
                using (var w = new LogWriter(fs.CreateWritable("/l/x")))
                {
                    w.AddRecord("first record"u8);
                    w.AddRecord(new byte[LogFormat.BlockSize + 100]);
                    w.AddRecord("last"u8);
                }
                return fs.GetContents("/l/x");
            }
            case "batch":
            {
                var b = new WriteBatch();
                b.Put("key"u8, "value"u8);
                b.Delete("gone"u8);
                b.DeleteRange("a"u8, "b"u8);
                b.SetHeader(42, 7);
                return b.Rep.ToArray();
            }
            case "block":
            {
                var bb = new BlockBuilder(4);
                for (int i = 0; i < 20; i++) bb.Add(InternalKey.Create(System.Text.Encoding.ASCII.GetBytes($"key{i:D3}"), (ulong)i + 1, ValueKind.Value), "v"u8);
                return bb.Finish().ToArray();
            }
            case "table":
                return Sst.TableTests.BuildTable(40, CompressionType.Snappy, blockSize: 256,
                    tombstones: [new RangeTombstone("key000005"u8.ToArray(), "key000009"u8.ToArray(), 100)]).Fs.GetContents("/t/000001.sst");
            case "manifest-record":
            {
                var e = new VersionEdit { Comparator = "lattice.BytewiseComparator", LogNumber = 3, NextFileNumber = 9, LastSequence = 100, ColumnFamilyAdd = "cf", ColumnFamilyId = 1 };
                e.AddFile(2, new FileMetaData { Number = 7, FileSize = 1000, Smallest = InternalKey.Create("a"u8, 1, ValueKind.Value), Largest = InternalKey.Create("z"u8, 9, ValueKind.Value), NumEntries = 5 });
                e.DeleteFile(1, 4);
                return VersionEdit.EncodeRecord([e, new VersionEdit { LogNumber = 5 }]);
            }
            case "footer":
            {
                var f = new byte[Footer.Size];
                new Footer(new BlockHandle(100, 20), new BlockHandle(130, 40), 1, 0).EncodeTo(f);
                return f;
            }
            case "snappy-block":
                return Snappier.Snappy.CompressToArray(ValidSeed("block"));
            case "zstd-block":
            {
                using var zstd = new ZstdSharp.Compressor(3);
                return zstd.Wrap(ValidSeed("block")).ToArray();
            }
            case "blob-reference":
                return new LatticeKV.Blob.BlobReference(ValueKind.TimedValue, 12, 16, 540, 520, 0xdeadbeef).ToArray();
            case "blob-file":
                return BlobSeedFile();
            case "blob-record":
            {
                var file = BlobSeedFile();
                var r = BlobSeedReferences[1];
                return file.AsSpan((int)r.Offset, (int)r.RecordSize).ToArray();
            }
            case "cf-options":
                return ColumnFamilyOptionsCodec.Encode(new ColumnFamilyOptions { Ttl = TimeSpan.FromSeconds(5), WriteBufferSize = 1 << 20 });
            default:
                throw new ArgumentException(target);
        }
    }

    /// <summary>For tables: recomputes every block checksum and the footer's, so mutations reach the parsers behind them.</summary>
    public static byte[] FixTableChecksums(byte[] table, byte[] pristine)
    {
        if (table.Length != pristine.Length || table.Length < Footer.Size) return table;
        var fs = new MemFileSystem();
        fs.CreateDirectory("/p");
        using (var w = fs.CreateWritable("/p/000001.sst")) w.Append(pristine);
        using var reader = TableReader.Open(fs.OpenRead("/p/000001.sst"), 1, new TableReaderOptions(Cmp, null, false));
        var handles = new List<BlockHandle>(reader.MetaBlocks.Values) { reader.Footer.Index, reader.Footer.MetaIndex };
        for (int i = 0; i < reader.Fences.Count; i++) handles.Add(reader.Fences.Handle(i));
        foreach (var h in handles)
        {
            int end = (int)(h.Offset + h.Size);
            BlockTrailer.Write(table.AsSpan(end), table.AsSpan((int)h.Offset, (int)h.Size), table[end]);
        }
        var footer = table.AsSpan(table.Length - Footer.Size);
        BinaryPrimitives.WriteUInt32LittleEndian(footer[52..], Crc32C.Mask(Crc32C.Compute(footer[..52])));
        return table;
    }
}
