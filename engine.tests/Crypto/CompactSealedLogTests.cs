using LatticeKV.Crypto;
using LatticeKV.Db;
using LatticeKV.Inspect;
using LatticeKV.Io;
using LatticeKV.Tests.Support;
using LatticeKV.Wal;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Crypto;

/// <summary>
/// Write-ahead logs of encrypted databases in the compact layout (FORMAT.md §12, database format
/// 11): a cipher header naming the key and the nonces' random part, repeated once per 32 KiB
/// block, and records of ordinal, ciphertext and tag; logs written whole by earlier builds still replay.
/// </summary>
public class CompactSealedLogTests
{
    [Fact]
    public void Append_EncryptedLog_HeaderAtTheStartAndInEveryBlockRecordsTwentyBytesLonger()
    {
        using var dir = new TempDir();
        var fs = RealFileSystem.Instance;
        using var keys = LatticeKV.Tests.Db.LogFilesTests.NewRegistry(fs, dir);
        var written = WriteSealedLog(fs, dir, keys, number: 7, count: 2000, i => 100 + i % 29);

        string path = FileNames.Log(dir.Path, 7);
        var framed = FramedFile.Records(File.ReadAllBytes(path));
        var headers = framed.Where(r => RecordCipher.TryReadLogHeader(r.Record, out _, out _)).ToList();
        var records = framed.Where(r => !RecordCipher.TryReadLogHeader(r.Record, out _, out _)).ToList();
        Assert.Equal(0, framed[0].Offset);
        Assert.True(RecordCipher.TryReadLogHeader(framed[0].Record, out uint keyId, out _));
        Assert.Equal(keys.Active(KeyPurpose.Metadata, 0)!.Id, keyId);
        // Every header of the file is the same; every block in which a record starts has one at or before that record.
        Assert.All(headers, h => Assert.Equal(framed[0].Record, h.Record));
        long blocks = records.Select(r => r.Offset / LogFormat.BlockSize).Distinct().Count();
        Assert.True(headers.Count >= blocks - 1 && headers.Count <= blocks + 1, $"{headers.Count} headers for records in {blocks} blocks");
        foreach (var record in records)
            Assert.Contains(headers, h => h.Offset <= record.Offset && h.Offset >= (record.Offset / LogFormat.BlockSize - 1) * LogFormat.BlockSize);
        Assert.Equal(written.Select(w => w.Length + RecordCipher.CompactOverhead), records.Select(r => r.Record.Length));
        Assert.Equal(written, ReadSealed(fs, keys, path, number: 7, salvage: false, out int failed));
        Assert.Equal(0, failed);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SalvageRead_FirstHeaderDamaged_RecordsAfterTheNextHeaderStillOpen(bool checksumKept)
    {
        using var dir = new TempDir();
        var fs = RealFileSystem.Instance;
        using var keys = LatticeKV.Tests.Db.LogFilesTests.NewRegistry(fs, dir);
        var written = WriteSealedLog(fs, dir, keys, number: 8, count: 1500, _ => 120);
        string path = FileNames.Log(dir.Path, 8);
        var bytes = File.ReadAllBytes(path);
        Assert.True(RecordCipher.TryReadLogHeader(bytes.AsSpan(LogFormat.HeaderSize, RecordCipher.LogHeaderSize), out _, out _));
        bytes[LogFormat.HeaderSize + 9] ^= 0x40; // inside the first header's salt
        if (checksumKept)
        {
            // Damage the framing cannot see: the header still reads as one, naming the wrong salt.
            uint crc = LatticeKV.Coding.Crc32C.Extend(LogWriter.TypeCrc(LogRecordType.Full), bytes.AsSpan(LogFormat.HeaderSize, RecordCipher.LogHeaderSize));
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes, LatticeKV.Coding.Crc32C.Mask(crc));
        }
        File.WriteAllBytes(path, bytes);

        // A salvaging reader loses the first block's records (the framing drops them, or they do not
        // open under the damaged header) and opens every record after the next, intact header.
        var opened = ReadSealed(fs, keys, path, number: 8, salvage: true, out int failed);
        Assert.True(opened.Count < written.Count, "the records of the damaged header's block were opened");
        Assert.True(opened.Count > written.Count * 3 / 4, $"only {opened.Count} of {written.Count} opened");
        Assert.Equal(written.TakeLast(opened.Count), opened);
        if (checksumKept) Assert.Equal(written.Count - opened.Count, failed);
    }

    [Fact]
    public void TakeLogHeader_DifferentHeaderLater_IsDamageUnlessSalvaging()
    {
        using var dir = new TempDir();
        var fs = RealFileSystem.Instance;
        using var keys = LatticeKV.Tests.Db.LogFilesTests.NewRegistry(fs, dir);
        var key = keys.Active(KeyPurpose.Metadata, 0)!;
        using var a = new RecordCipher(key, keys.DatabaseId, FileKeyKind.Log, 3);
        using var b = new RecordCipher(key, keys.DatabaseId, FileKeyKind.Log, 3);
        var first = new byte[RecordCipher.LogHeaderSize];
        var other = new byte[RecordCipher.LogHeaderSize];
        a.WriteLogHeader(first);
        b.WriteLogHeader(other);
        string path = dir.Sub("000003.log");
        using (var strict = SealedRecordOpener.For(keys, FileKeyKind.Log, 3, path)!)
        {
            Assert.True(strict.TakeLogHeader(first, 0));
            Assert.True(strict.TakeLogHeader(first, 100));
            var ex = Assert.Throws<CorruptionException>(() => strict.TakeLogHeader(other, 200));
            Assert.Equal(path, ex.FilePath);
            Assert.Equal(200, ex.Offset);
        }
        using (var salvaging = SealedRecordOpener.For(keys, FileKeyKind.Log, 3, path, salvage: true)!)
        {
            Assert.True(salvaging.TakeLogHeader(other, 0));
            Assert.True(salvaging.TakeLogHeader(first, 200));
            // The newest header rules (an earlier one may be the damaged one): a record sealed by its writer opens.
            var record = new byte[40 + RecordCipher.CompactOverhead];
            a.SealCompact(new byte[40], record);
            Assert.Equal(40, salvaging.Open(record, 300).Length);
        }
        // MANIFESTs have no header: a record that looks like one is not taken.
        using var manifest = SealedRecordOpener.For(keys, FileKeyKind.Manifest, 3, path)!;
        Assert.False(manifest.TakeLogHeader(first, 0));
    }

    [Fact]
    public void CompactRecord_IsTheWholeRecordOfTheSameOrdinalWithoutKeyIdAndSalt()
    {
        // FORMAT.md §12: the same file key, nonce and associated data; only where key id and salt live differs.
        using var dir = new TempDir();
        using var keys = LatticeKV.Tests.Db.LogFilesTests.NewRegistry(RealFileSystem.Instance, dir);
        var key = keys.Active(KeyPurpose.Metadata, 0)!;
        using var whole = new RecordCipher(key, keys.DatabaseId, FileKeyKind.Log, 5);
        var header = new byte[RecordCipher.LogHeaderSize];
        whole.WriteLogHeader(header);
        Assert.True(RecordCipher.TryReadLogHeader(header, out uint keyId, out var salt));
        Assert.Equal(key.Id, keyId);
        using var compact = new RecordCipher(key, keys.DatabaseId, FileKeyKind.Log, 5, salt);
        for (int ordinal = 0; ordinal < 3; ordinal++)
        {
            var plain = new byte[13 + ordinal * 50];
            Random.Shared.NextBytes(plain);
            var a = new byte[plain.Length + RecordCipher.Overhead];
            var b = new byte[plain.Length + RecordCipher.CompactOverhead];
            whole.Seal(plain, a);
            compact.SealCompact(plain, b);
            Assert.Equal(a.AsSpan(0, 4).ToArray(), BitConverter.GetBytes(keyId));
            Assert.Equal(a.AsSpan(4, 4).ToArray(), b.AsSpan(0, 4).ToArray()); // the ordinal
            Assert.Equal(salt.ToArray(), a.AsSpan(8, 8).ToArray());
            Assert.Equal(a.AsSpan(16).ToArray(), b.AsSpan(4).ToArray()); // ciphertext and tag
            var opened = new byte[plain.Length];
            Assert.True(whole.TryOpenCompact(b, opened));
            Assert.Equal(plain, opened);
            b[^1] ^= 1;
            Assert.False(whole.TryOpenCompact(b, opened));
        }
    }

    [Fact]
    public void Format10DatabaseWithWholeSealedLogs_ReplaysAndIsWrittenAsFormat11()
    {
        using var dir = new TempDir();
        var key = EncryptionSupport.NewKey();
        var options = EncryptionSupport.Options(key);
        options.WriteBufferSize = 4 << 20;
        var expected = new SortedDictionary<string, string>(StringComparer.Ordinal);
        using (var db = LatticeDb.Open(dir.Path, options))
        {
            for (int i = 0; i < 500; i++)
            {
                db.Put(B($"k{i:D4}"), B($"value {i}"));
                expected[$"k{i:D4}"] = $"value {i}";
            }
            var batch = new WriteBatch();
            batch.Put(B("batch-a"), B("1"));
            batch.Delete(B("k0007"));
            db.Write(batch);
            expected["batch-a"] = "1";
            expected.Remove("k0007");
        }
        Assert.Equal(11u, DatabaseInspector.Inspect(dir.Path, EncryptionOptions.FromKey(key)).FormatVersion);

        // What a build before format 11 left: the same records sealed whole, no cipher header.
        var fs = RealFileSystem.Instance;
        int rewritten = 0;
        using (var keys = KeyRegistry.Open(new LogFramedRecords(fs), dir.Path, EncryptionOptions.FromKey(key).Source))
        {
            foreach (var path in Directory.GetFiles(dir.Path, "*.log"))
            {
                FileNames.Parse(Path.GetFileName(path), out long number);
                var plaintexts = new List<byte[]>();
                using (var file = fs.OpenRead(path))
                {
                    var reader = new LogReader(file);
                    using var opener = SealedRecordOpener.For(keys, FileKeyKind.Log, number, path)!;
                    while (reader.ReadRecord(out var record, out long offset))
                        if (!opener.TakeLogHeader(record, offset)) plaintexts.Add(opener.Open(record, offset).ToArray());
                }
                File.Delete(path);
                using (var cipher = new RecordCipher(keys!.Active(KeyPurpose.Metadata, 0)!, keys.DatabaseId, FileKeyKind.Log, number))
                using (var writer = new LogWriter(fs.CreateWritable(path)))
                {
                    foreach (var p in plaintexts)
                    {
                        var sealedRecord = new byte[p.Length + RecordCipher.Overhead];
                        cipher.Seal(p, sealedRecord);
                        writer.AddRecord(sealedRecord);
                    }
                    writer.File.Flush();
                    writer.File.Sync();
                }
                rewritten += plaintexts.Count;
            }
        }
        Assert.True(rewritten >= 500, $"only {rewritten} logged batches to rewrite: the test would show nothing");
        // And its MANIFEST as such a build wrote it: format 10, the newest before compact logs.
        RewriteManifestFormat(fs, dir.Path, key, 10);
        Assert.Equal(10u, DatabaseInspector.Inspect(dir.Path, EncryptionOptions.FromKey(key)).FormatVersion);

        using (var db = LatticeDb.Open(dir.Path, options))
        {
            Assert.Equal(expected, Contents(db));
            db.Put(B("after"), B("upgrade"));
            expected["after"] = "upgrade";
        }
        Assert.Equal(11u, DatabaseInspector.Inspect(dir.Path, EncryptionOptions.FromKey(key)).FormatVersion);
        using (var db = LatticeDb.Open(dir.Path, options)) Assert.Equal(expected, Contents(db));
    }

    /// <summary>Rewrites the live MANIFEST of the encrypted database at <paramref name="db"/> with every recorded format version replaced by <paramref name="version"/>.</summary>
    private static void RewriteManifestFormat(IFileSystem fs, string db, byte[] key, uint version)
    {
        string name = File.ReadAllText(FileNames.CurrentPath(db)).Trim();
        string path = Path.Combine(db, name);
        FileNames.Parse(name, out long number);
        using var keys = KeyRegistry.Open(new LogFramedRecords(fs), db, EncryptionOptions.FromKey(key).Source)!;
        var records = new List<byte[]>();
        int versioned = 0;
        using (var file = fs.OpenRead(path))
        {
            var reader = new LogReader(file);
            using var opener = SealedRecordOpener.For(keys, FileKeyKind.Manifest, number, path)!;
            while (reader.ReadRecord(out var record, out long offset))
            {
                var edits = LatticeKV.Manifest.VersionEdit.DecodeRecord(opener.Open(record, offset), 64);
                foreach (var edit in edits.Where(e => e.FormatVersion is not null))
                {
                    edit.FormatVersion = version;
                    versioned++;
                }
                records.Add(LatticeKV.Manifest.VersionEdit.EncodeRecord(edits));
            }
            Assert.Empty(reader.Issues);
        }
        Assert.True(versioned > 0, "the MANIFEST records no format version");
        File.Delete(path);
        using var cipher = LatticeKV.Manifest.VersionSet.ManifestCipher(keys, number)!;
        using var writer = new LogWriter(fs.CreateWritable(path));
        foreach (var record in records) LatticeKV.Manifest.VersionSet.AddRecord(writer, cipher, record);
        writer.File.Flush();
        writer.File.Sync();
    }

    private static SortedDictionary<string, string> Contents(LatticeDb db)
    {
        var contents = new SortedDictionary<string, string>(StringComparer.Ordinal);
        using var it = db.NewIterator();
        for (it.SeekToFirst(); it.Valid; it.Next()) contents[S(it.Key.ToArray())!] = S(it.Value.ToArray())!;
        return contents;
    }

    /// <summary>Appends <paramref name="count"/> random bodies (of <paramref name="size"/>(i) bytes) to sealed log <paramref name="number"/> through <see cref="LogFiles"/>; the bodies, in order.</summary>
    private static List<byte[]> WriteSealedLog(IFileSystem fs, TempDir dir, KeyRegistry keys, long number, int count, Func<int, int> size)
    {
        var mutex = new object();
        var logs = new LogFiles(fs, dir.Path, 1 << 20, mutex) { Keys = keys };
        lock (mutex) logs.Roll(number);
        var written = new List<byte[]>();
        for (int i = 0; i < count; i++)
        {
            var body = new byte[size(i)];
            Random.Shared.NextBytes(body);
            logs.Append([], body);
            written.Add(body);
        }
        Assert.Null(logs.Close(sync: true));
        return written;
    }

    /// <summary>Every record of the sealed log that opens, headers taken; how many did not.</summary>
    private static List<byte[]> ReadSealed(IFileSystem fs, KeyRegistry keys, string path, long number, bool salvage, out int failed)
    {
        using var file = fs.OpenRead(path);
        var reader = new LogReader(file) { EndsAtLostPages = !salvage };
        using var opener = SealedRecordOpener.For(keys, FileKeyKind.Log, number, path, salvage)!;
        var records = new List<byte[]>();
        failed = 0;
        while (reader.ReadRecord(out var record, out long offset))
        {
            if (opener.TakeLogHeader(record, offset)) continue;
            try { records.Add(opener.Open(record, offset).ToArray()); }
            catch (CorruptionException) when (salvage) { failed++; }
        }
        if (!salvage) Assert.Empty(reader.Issues);
        return records;
    }
}
