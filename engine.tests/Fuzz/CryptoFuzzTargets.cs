using System.Buffers.Binary;
using System.Security.Cryptography;
using LatticeKV.Coding;
using LatticeKV.Crypto;
using LatticeKV.Db;
using LatticeKV.Io;
using LatticeKV.Sst;

namespace LatticeKV.Tests.Fuzz;

/// <summary>
/// The decoders of encrypted structures, driven over arbitrary bytes. The contract: bad input
/// raises <see cref="CorruptionException"/> or <see cref="EncryptionKeyException"/> and nothing
/// else. Sealed inputs fail authentication whatever a mutation does, so two targets seal what
/// they are given first, to reach the parsers behind the seal: "registry-record" seals its input
/// as a registry record under the right key, "footer-v2" recomputes the footer checksum.
/// </summary>
internal static class CryptoFuzzTargets
{
    private const string RegistryDir = "/r";
    private static readonly byte[] MasterKey = Convert.FromHexString("5f1e8c3a9b7d2e4f6a8c0b1d3e5f7a9c2b4d6e8f0a1c3e5b7d9f1a3c5e7b9d0f");
    private static readonly Lazy<(byte[] File, long Number)> s_registry = new(BuildRegistry);
    private static readonly Lazy<KeyRegistry> s_keys = new(() => OpenRegistry(s_registry.Value.File, s_registry.Value.Number)!);

    public static readonly IReadOnlyDictionary<string, Action<byte[]>> All = new Dictionary<string, Action<byte[]>>
    {
        ["registry-file"] = RegistryFile,
        ["registry-framed"] = RegistryFramed,
        ["registry-header"] = RegistryHeader,
        ["registry-record"] = RegistryRecord,
        ["sealed-record"] = SealedRecord,
        ["compact-log"] = CompactLog,
        ["footer-v2"] = FooterV2,
        ["sealed-block"] = SealedBlock,
        ["sealed-blob-record"] = SealedBlobRecord,
        ["sealed-blob-plaintext"] = SealedBlobPlaintext,
        ["sealed-blob-file"] = SealedBlobFile,
    };

    /// <summary>Runs a target; a <see cref="CorruptionException"/> or <see cref="EncryptionKeyException"/> is an accepted outcome.</summary>
    public static void Run(string target, byte[] input)
    {
        try { All[target](input); }
        catch (CorruptionException) { }
        catch (EncryptionKeyException) { }
    }

    /// <summary>A whole registry file, as <c>KeyRegistry.Open</c> finds it.</summary>
    public static void RegistryFile(byte[] bytes) => OpenRegistry(bytes, s_registry.Value.Number)?.Dispose();

    /// <summary>
    /// The valid registry's header followed by the records in <paramref name="bytes"/> (each a
    /// u16 length and that many bytes), framed with valid checksums: what reaches the opening of sealed records.
    /// </summary>
    public static void RegistryFramed(byte[] bytes)
    {
        var (file, number) = s_registry.Value;
        var records = new List<byte[]> { Records(file)[0] };
        for (int p = 0; p + 2 <= bytes.Length;)
        {
            int length = Math.Min(BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(p)), bytes.Length - p - 2);
            records.Add(bytes.AsSpan(p + 2, length).ToArray());
            p += 2 + length;
        }
        OpenRegistry(Frame(records), number)?.Dispose();
    }

    /// <summary>The valid registry with <paramref name="header"/> as its header record, framed with a valid checksum.</summary>
    public static void RegistryHeader(byte[] header)
    {
        var (file, number) = s_registry.Value;
        OpenRegistry(Frame([header, .. Records(file).Skip(1)]), number)?.Dispose();
    }

    /// <summary>The valid registry with <paramref name="plaintext"/> appended as one more record, sealed with the registry's record key.</summary>
    public static void RegistryRecord(byte[] plaintext)
    {
        var (file, number) = s_registry.Value;
        var records = Records(file);
        var header = records[0];
        var sealedRecord = SealRegistryRecord(header, number, (ulong)records.Count, plaintext);
        OpenRegistry(Frame([.. records, sealedRecord]), number)?.Dispose();
    }

    /// <summary>One write-ahead log record as recovery opens it.</summary>
    public static void SealedRecord(byte[] record)
    {
        using var opener = SealedRecordOpener.For(s_keys.Value, FileKeyKind.Log, 9, "/r/000009.log")!;
        _ = opener.Open(record, 0).Length;
    }

    /// <summary>
    /// A compact sealed log's first two records (FORMAT.md §12): the input's first 16 bytes as the
    /// cipher header, the rest as a record; salvaging when the input's length is even.
    /// </summary>
    public static void CompactLog(byte[] bytes)
    {
        using var opener = SealedRecordOpener.For(s_keys.Value, FileKeyKind.Log, 9, "/r/000009.log", salvage: bytes.Length % 2 == 0)!;
        int split = Math.Min(RecordCipher.LogHeaderSize, bytes.Length);
        opener.TakeLogHeader(bytes.AsSpan(0, split), 0);
        var record = bytes.AsSpan(split);
        if (!opener.TakeLogHeader(record, split)) _ = opener.Open(record, split).Length;
    }

    /// <summary>A footer, its checksum recomputed so that the fields are what is tested.</summary>
    public static void FooterV2(byte[] bytes)
    {
        if (bytes.Length != Footer.Size) Array.Resize(ref bytes, Footer.Size);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(52), Crc32C.Mask(Crc32C.Compute(bytes.AsSpan(0, 52))));
        var footer = Footer.Decode(bytes, "fuzz", 0);
        if (footer.EncryptionKeyId != 0 && footer.Salt is not { Length: Footer.SaltSize })
            throw new InvalidOperationException("a sealed table's footer decoded without its salt");
    }

    /// <summary>Sealed block bytes opened as the data block at offset 4096 of table 7.</summary>
    public static void SealedBlock(byte[] bytes)
    {
        using var cipher = TableCipher.ForExistingTable(s_keys.Value.Active(KeyPurpose.Data, 1)!, BlockSalt, s_keys.Value.DatabaseId, 7);
        int length = cipher.Open(bytes, 4096, BlockKind.Data, (byte)CompressionType.Snappy, "fuzz");
        if (length != bytes.Length - TableCipher.Overhead) throw new InvalidOperationException($"opened {length} bytes of {bytes.Length}");
    }

    private static readonly byte[] BlockSalt = Convert.FromHexString("0102030405060708090a0b0c");

    /// <summary>The offset of the first record of a sealed blob file (FORMAT.md §21.7), where the blob targets place their record.</summary>
    private const long BlobRecordOffset = LatticeKV.Blob.BlobFileFormat.SealedHeaderSize;

    private static TableCipher BlobCipher() => TableCipher.ForExistingBlobFile(s_keys.Value.Active(KeyPurpose.Data, 1)!, BlockSalt, s_keys.Value.DatabaseId, 7);

    /// <summary>A whole record (header and sealed stored bytes) decoded as the first record of sealed blob file 7.</summary>
    public static void SealedBlobRecord(byte[] record)
    {
        using var cipher = BlobCipher();
        LatticeKV.Blob.BlobFileReader.Decode(record, "fuzz", BlobRecordOffset, out _, cipher);
    }

    /// <summary>
    /// Reaches the parser behind the seal: byte 0 is the record's flags (bit 0 zstd; the sealed bit is
    /// set), bytes 1..4 its claimed value size, the rest the plaintext stored bytes, which are sealed
    /// and framed with a valid checksum before the record is decoded.
    /// </summary>
    public static void SealedBlobPlaintext(byte[] bytes)
    {
        if (bytes.Length < 5) return;
        byte flags = (byte)((bytes[0] & LatticeKV.Blob.BlobFileFormat.FlagZstd) | LatticeKV.Blob.BlobFileFormat.FlagSealed);
        int valueSize = (int)(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(1)) % (1 << 20));
        var plain = bytes.AsSpan(5);
        using var cipher = BlobCipher();
        var record = new byte[LatticeKV.Blob.BlobFileFormat.RecordHeaderSize + plain.Length + TableCipher.Overhead];
        cipher.Seal(plain, BlobRecordOffset, BlockKind.BlobRecord, flags, record.AsSpan(LatticeKV.Blob.BlobFileFormat.RecordHeaderSize));
        LatticeKV.Blob.BlobFileFormat.WriteRecordHeader(record, valueSize, record.AsSpan(LatticeKV.Blob.BlobFileFormat.RecordHeaderSize), flags);
        LatticeKV.Blob.BlobFileReader.Decode(record, "fuzz", BlobRecordOffset, out _, cipher);
    }

    /// <summary>A whole blob file, opened with the registry (a sealed one needs its family's key) and every record read.</summary>
    public static void SealedBlobFile(byte[] bytes)
    {
        var fs = new MemFileSystem();
        fs.CreateDirectory("/b");
        fs.CreateWritable("/b/000007.blob").Dispose();
        fs.SetContents("/b/000007.blob", bytes);
        using var reader = LatticeKV.Blob.BlobFileReader.Open(fs.OpenRead("/b/000007.blob"), 7, s_keys.Value);
        reader.VerifyAll();
    }

    /// <summary>Sealed blob file 7 of family 1 holding <paramref name="values"/>, with a salt of its own.</summary>
    private static byte[] SealedBlobFileBytes(params byte[][] values)
    {
        var fs = new MemFileSystem();
        fs.CreateDirectory("/b");
        var sealing = new TableSealing(s_keys.Value.Active(KeyPurpose.Data, 1)!, s_keys.Value.DatabaseId.ToArray());
        using (var w = LatticeKV.Blob.BlobFileWriter.Create(fs.CreateWritable("/b/000007.blob"), 7, 1, 3, sealing))
        {
            foreach (var v in values) w.Add(LatticeKV.Keys.ValueKind.Value, v);
            w.Finish();
        }
        return fs.GetContents("/b/000007.blob");
    }

    /// <summary>A small valid input per target, for mutation.</summary>
    public static byte[] ValidSeed(string target)
    {
        switch (target)
        {
            case "registry-file":
                return s_registry.Value.File;
            case "registry-header":
                return Records(s_registry.Value.File)[0];
            case "registry-framed":
            {
                var seed = new List<byte>();
                var length = new byte[2];
                foreach (var r in Records(s_registry.Value.File).Skip(1))
                {
                    BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)r.Length);
                    seed.AddRange(length);
                    seed.AddRange(r);
                }
                return [.. seed];
            }
            case "registry-record":
            {
                // The registry's first key record as a new key (type u8, then id u32): a valid record, which mutations bend.
                var record = OpenRegistryRecord(Records(s_registry.Value.File), s_registry.Value.Number, 1);
                BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(1), 99);
                return record;
            }
            case "sealed-record":
            {
                var key = s_keys.Value.Active(KeyPurpose.Metadata, 0)!;
                using var cipher = new RecordCipher(key, s_keys.Value.DatabaseId, FileKeyKind.Log, 9);
                var plain = "a batch in the write-ahead log"u8;
                var sealedRecord = new byte[plain.Length + RecordCipher.Overhead];
                cipher.Seal(plain, sealedRecord);
                return sealedRecord;
            }
            case "compact-log":
            {
                var key = s_keys.Value.Active(KeyPurpose.Metadata, 0)!;
                using var cipher = new RecordCipher(key, s_keys.Value.DatabaseId, FileKeyKind.Log, 9);
                var plain = "a batch in the write-ahead log"u8;
                var log = new byte[RecordCipher.LogHeaderSize + plain.Length + RecordCipher.CompactOverhead];
                cipher.WriteLogHeader(log);
                cipher.SealCompact(plain, log.AsSpan(RecordCipher.LogHeaderSize));
                return log;
            }
            case "footer-v2":
            {
                var f = new byte[Footer.Size];
                new Footer(new BlockHandle(100, 20), new BlockHandle(130, 40), Footer.EncryptedFormatVersion, 3, BlockSalt).EncodeTo(f);
                return f;
            }
            case "sealed-block":
            {
                using var cipher = TableCipher.ForExistingTable(s_keys.Value.Active(KeyPurpose.Data, 1)!, BlockSalt, s_keys.Value.DatabaseId, 7);
                var block = Snappier.Snappy.CompressToArray(new byte[300]);
                var sealedBlock = new byte[block.Length + TableCipher.Overhead];
                cipher.Seal(block, 4096, BlockKind.Data, (byte)CompressionType.Snappy, sealedBlock);
                return sealedBlock;
            }
            case "sealed-blob-record":
            {
                using var cipher = BlobCipher();
                var plain = new byte[300];
                var reSealed = new byte[LatticeKV.Blob.BlobFileFormat.RecordHeaderSize + plain.Length + TableCipher.Overhead];
                cipher.Seal(plain, BlobRecordOffset, BlockKind.BlobRecord, LatticeKV.Blob.BlobFileFormat.FlagSealed, reSealed.AsSpan(LatticeKV.Blob.BlobFileFormat.RecordHeaderSize));
                LatticeKV.Blob.BlobFileFormat.WriteRecordHeader(reSealed, plain.Length, reSealed.AsSpan(LatticeKV.Blob.BlobFileFormat.RecordHeaderSize), LatticeKV.Blob.BlobFileFormat.FlagSealed);
                return reSealed;
            }
            case "sealed-blob-plaintext":
            {
                var seed = new byte[5 + 64];
                BinaryPrimitives.WriteUInt32LittleEndian(seed.AsSpan(1), 64);
                return seed;
            }
            case "sealed-blob-file":
                return SealedBlobFileBytes(Enumerable.Repeat((byte)'a', 200).ToArray(), new byte[50]);
            default:
                throw new ArgumentException(target);
        }
    }

    /// <summary>A registry with keys of every purpose, a retired and a destroyed one, and appended records after its snapshot.</summary>
    private static (byte[] File, long Number) BuildRegistry()
    {
        var fs = new MemFileSystem();
        fs.CreateDirectory(RegistryDir);
        var files = new LogFramedRecords(fs);
        using (var keys = KeyRegistry.Create(files, RegistryDir, new RawKeySource(MasterKey), sealedFrom: 1, nowMs: 1000))
        {
            var first = keys.CreateKey(KeyPurpose.Data, 1, [], 2000);
            keys.CreateKey(KeyPurpose.Scope, 1, "user-42"u8, 3000);
            var doomed = keys.CreateKey(KeyPurpose.Data, 2, [], 4000);
            keys.Destroy([doomed.Id], (2, 77));
            keys.Retire([first.Id]);
            keys.CreateKey(KeyPurpose.Data, 1, [], 5000);
        }
        long number = KeyRegistry.Find(fs, RegistryDir)[^1];
        return (fs.GetContents(KeyRegistry.PathOf(RegistryDir, number)), number);
    }

    private static KeyRegistry? OpenRegistry(byte[] file, long number)
    {
        var fs = new MemFileSystem();
        fs.CreateDirectory(RegistryDir);
        using (var w = fs.CreateWritable(KeyRegistry.PathOf(RegistryDir, number))) w.Append(file);
        return KeyRegistry.Open(new LogFramedRecords(fs), RegistryDir, new RawKeySource(MasterKey));
    }

    private static List<byte[]> Records(byte[] file) => [.. Crypto.FramedFile.Records(file).Select(r => r.Record)];

    private static byte[] Frame(IEnumerable<byte[]> records) => Crypto.FramedFile.Frame(records);

    // Registry header (FORMAT.md, "Key registry"), for a raw master key (no parameters):
    // magic[8] ‖ format u32 ‖ db_id[16] ‖ number u64 ‖ kind u8 ‖ parameter length varint (0) ‖ salt[16] ‖ verifier[16].
    private const int HeaderIdOffset = 12;
    private const int HeaderSaltOffset = 38;

    private static AesGcm RecordKey(byte[] header, long number)
    {
        var key = KeyDerivation.Derive(MasterKey, header.AsSpan(HeaderSaltOffset, 16), FileKeyKind.Registry, header.AsSpan(HeaderIdOffset, 16), 0, number, 0, 0);
        return new AesGcm(key, AeadPool.TagSize);
    }

    private static (byte[] Nonce, byte[] Ad) RecordNonceAndAd(byte[] header, long number, ulong ordinal)
    {
        var nonce = new byte[AeadPool.NonceSize];
        BinaryPrimitives.WriteUInt64LittleEndian(nonce, ordinal);
        var ad = new byte[4 + 16 + 16];
        "LKVR"u8.CopyTo(ad);
        header.AsSpan(HeaderIdOffset, 16).CopyTo(ad.AsSpan(4));
        BinaryPrimitives.WriteUInt64LittleEndian(ad.AsSpan(20), (ulong)number);
        BinaryPrimitives.WriteUInt64LittleEndian(ad.AsSpan(28), ordinal);
        return (nonce, ad);
    }

    private static byte[] SealRegistryRecord(byte[] header, long number, ulong ordinal, byte[] plaintext)
    {
        var (nonce, ad) = RecordNonceAndAd(header, number, ordinal);
        var sealedRecord = new byte[plaintext.Length + AeadPool.TagSize];
        using var aes = RecordKey(header, number);
        aes.Encrypt(nonce, plaintext, sealedRecord.AsSpan(0, plaintext.Length), sealedRecord.AsSpan(plaintext.Length), ad);
        return sealedRecord;
    }

    private static byte[] OpenRegistryRecord(List<byte[]> records, long number, int ordinal)
    {
        var sealedRecord = records[ordinal];
        var (nonce, ad) = RecordNonceAndAd(records[0], number, (ulong)ordinal);
        var plain = new byte[sealedRecord.Length - AeadPool.TagSize];
        using var aes = RecordKey(records[0], number);
        aes.Decrypt(nonce, sealedRecord.AsSpan(0, plain.Length), sealedRecord.AsSpan(plain.Length), plain, ad);
        return plain;
    }
}
