using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using LatticeKV.Crypto;
using LatticeKV.Sst;
using Xunit.Abstractions;

namespace LatticeKV.Tests.Crypto;

/// <summary>
/// Known answers for the cryptography on disk: HKDF-SHA256 against RFC 5869, and a worked
/// example of the key derivation, a sealed table block and a sealed record, each also rebuilt
/// here from the layout alone (info string, nonce, associated data) with .NET's HKDF and
/// AES-GCM. The example's bytes are kept in Crypto/FormatExample.txt for FORMAT.md: the test
/// compares them, and LKV_REGENERATE=1 rewrites the file.
/// </summary>
public sealed class KnownAnswerTests(ITestOutputHelper output)
{
    // Fixed inputs of the worked example.
    private static readonly byte[] DataKey = Convert.FromHexString("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    private static readonly byte[] DatabaseId = Convert.FromHexString("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");
    private static readonly byte[] TableSalt = Convert.FromHexString("b0b1b2b3b4b5b6b7b8b9babb");
    private static readonly byte[] Block = Encoding.ASCII.GetBytes("LatticeKV block!");
    private const uint ColumnFamily = 1;
    private const long TableNumber = 7;
    private const uint KeyId = 2;
    private const uint Generation = 1;
    private const long LogNumber = 9;
    private static readonly byte[] LogSalt = Convert.FromHexString("c0c1c2c3c4c5c6c7");
    private static readonly byte[] LogRecord = Encoding.ASCII.GetBytes("a write-ahead log record");

    [Fact]
    public void Hkdf_Rfc5869TestCase1_MatchesTheRfc()
    {
        var ikm = Enumerable.Repeat((byte)0x0b, 22).ToArray();
        var salt = Convert.FromHexString("000102030405060708090a0b0c");
        var info = Convert.FromHexString("f0f1f2f3f4f5f6f7f8f9");
        var prk = HKDF.Extract(HashAlgorithmName.SHA256, ikm, salt);
        var okm = HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 42, salt, info);
        Assert.Equal("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5", Convert.ToHexString(prk).ToLowerInvariant());
        Assert.Equal("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865", Convert.ToHexString(okm).ToLowerInvariant());
    }

    [Fact]
    public void KeyDerivation_FixedInputs_IsHkdfOverTheDocumentedInfo()
    {
        var derived = KeyDerivation.Derive(DataKey, TableSalt, FileKeyKind.Table, DatabaseId, ColumnFamily, TableNumber, KeyId, Generation);
        Assert.Equal(HKDF.DeriveKey(HashAlgorithmName.SHA256, DataKey, 32, TableSalt, TableInfo()), derived);
    }

    [Fact]
    public void TableCipher_FixedBlockAtOffsetZero_IsAesGcmWithTheDocumentedNonceAndAd()
    {
        var sealedBlock = SealExampleBlock();
        var expected = new byte[Block.Length + 16];
        using (var aes = new AesGcm(HKDF.DeriveKey(HashAlgorithmName.SHA256, DataKey, 32, TableSalt, TableInfo()), 16))
            aes.Encrypt(BlockNonce(0), Block, expected.AsSpan(0, Block.Length), expected.AsSpan(Block.Length), BlockAd(0));
        Assert.Equal(expected, sealedBlock);

        using var cipher = TableCipher.ForExistingTable(ExampleKey(KeyPurpose.Data), TableSalt, DatabaseId, TableNumber);
        var copy = sealedBlock.ToArray();
        Assert.Equal(Block.Length, cipher.Open(copy, 0, BlockKind.Data, (byte)CompressionType.None, "example"));
        Assert.Equal(Block, copy.AsSpan(0, Block.Length).ToArray());
    }

    [Theory]
    [InlineData(131)]   // a typical log record: the intrinsic cipher
    [InlineData(5000)]  // a large group's record: the platform's
    public void RecordCipher_SealInPlace_OpensToThePlaintext_LikeSeal(int length)
    {
        var plain = new byte[length];
        new Random(length).NextBytes(plain);
        using var writer = new RecordCipher(ExampleKey(KeyPurpose.Metadata), DatabaseId, FileKeyKind.Log, LogNumber);
        var record = new byte[length + RecordCipher.Overhead];
        plain.CopyTo(record, RecordCipher.PlaintextOffset);
        writer.SealInPlace(record);
        Assert.False(record.AsSpan(RecordCipher.PlaintextOffset, length).SequenceEqual(plain));
        using var reader = new RecordCipher(ExampleKey(KeyPurpose.Metadata), DatabaseId, FileKeyKind.Log, LogNumber);
        var opened = new byte[length];
        Assert.True(reader.TryOpen(record, opened));
        Assert.Equal(plain, opened);
    }

    [Fact]
    public void RecordCipher_Seal_HasKeyIdNonceCiphertextTagLayout_AndRoundTrips()
    {
        var key = ExampleKey(KeyPurpose.Metadata);
        var plain = Encoding.ASCII.GetBytes("a write-ahead log record");
        using var cipher = new RecordCipher(key, DatabaseId, FileKeyKind.Log, LogNumber);
        var first = new byte[plain.Length + RecordCipher.Overhead];
        var second = new byte[first.Length];
        Assert.Equal(first.Length, cipher.Seal(plain, first));
        Assert.Equal(second.Length, cipher.Seal(plain, second));

        Assert.Equal(4 + 12 + 16, RecordCipher.Overhead);
        Assert.Equal(KeyId, BinaryPrimitives.ReadUInt32LittleEndian(first));
        Assert.Equal(KeyId, RecordCipher.KeyIdOf(first));
        // Randomized nonces: the same plaintext seals differently each time.
        Assert.NotEqual(first.AsSpan(4, 12).ToArray(), second.AsSpan(4, 12).ToArray());
        Assert.NotEqual(first.AsSpan(16, plain.Length).ToArray(), second.AsSpan(16, plain.Length).ToArray());

        // Opened independently from the layout: ciphertext after the nonce, tag last.
        var opened = new byte[plain.Length];
        using (var aes = new AesGcm(HKDF.DeriveKey(HashAlgorithmName.SHA256, DataKey, 32, DatabaseId, RecordInfo()), 16))
            aes.Decrypt(first.AsSpan(4, 12), first.AsSpan(16, plain.Length), first.AsSpan(16 + plain.Length), opened, RecordAd());
        Assert.Equal(plain, opened);

        var roundTrip = new byte[plain.Length];
        Assert.True(cipher.TryOpen(second, roundTrip));
        Assert.Equal(plain, roundTrip);
        second[^1] ^= 1;
        Assert.False(cipher.TryOpen(second, roundTrip));
    }

    [Fact]
    public void CompactRecord_FixedSalt_IsAesGcmWithTheDocumentedNonceAndAd()
    {
        var (header, record) = SealExampleCompactRecord();
        // The header: marker, key id, salt.
        Assert.Equal("ffffffff", Convert.ToHexString(header.AsSpan(0, 4)).ToLowerInvariant());
        Assert.Equal(KeyId, BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(4)));
        Assert.Equal(LogSalt, header.AsSpan(8).ToArray());
        // The record, opened from the layout alone: ordinal 0, ciphertext, tag; nonce ordinal ‖ salt.
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(record));
        var opened = new byte[LogRecord.Length];
        using (var aes = new AesGcm(HKDF.DeriveKey(HashAlgorithmName.SHA256, DataKey, 32, DatabaseId, RecordInfo()), 16))
            aes.Decrypt(CompactNonce(0), record.AsSpan(4, LogRecord.Length), record.AsSpan(4 + LogRecord.Length), opened, RecordAd());
        Assert.Equal(LogRecord, opened);
    }

    [Fact]
    public void FormatExample_Regenerated_MatchesTheCommittedFile()
    {
        string text = FormatExample();
        output.WriteLine(text);
        string path = Path.Combine(FormatTests.RepoRoot(), "engine.tests", "Crypto", "FormatExample.txt");
        if (Environment.GetEnvironmentVariable("LKV_REGENERATE") == "1") File.WriteAllText(path, text);
        Assert.True(File.Exists(path), $"{path} is missing: run the test with LKV_REGENERATE=1 to write it");
        Assert.Equal(File.ReadAllText(path).ReplaceLineEndings("\n"), text);
        // FORMAT.md carries the same example, byte for byte.
        string format = File.ReadAllText(Path.Combine(FormatTests.RepoRoot(), "FORMAT.md")).ReplaceLineEndings("\n");
        foreach (var line in text.Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#')))
            Assert.True(format.Contains(line, StringComparison.Ordinal), $"FORMAT.md lacks the worked example's line: {line}");
    }

    /// <summary>The worked example, as text for FORMAT.md.</summary>
    private static string FormatExample()
    {
        var sb = new StringBuilder();
        void Line(string name, ReadOnlySpan<byte> bytes) => sb.Append(name.PadRight(22)).Append(Hex(bytes)).Append('\n');
        sb.Append("# Worked example of the encryption format (generated by KnownAnswerTests; LKV_REGENERATE=1 rewrites it)\n");
        sb.Append("\n## Table key derivation: HKDF-SHA256(ikm = data key, salt = table salt, info)\n");
        Line("data key", DataKey);
        Line("database id", DatabaseId);
        Line("table salt", TableSalt);
        sb.Append($"family {ColumnFamily}, table {TableNumber}, key id {KeyId}, generation {Generation}\n");
        Line("info", TableInfo());
        Line("table key", KeyDerivation.Derive(DataKey, TableSalt, FileKeyKind.Table, DatabaseId, ColumnFamily, TableNumber, KeyId, Generation));
        sb.Append("\n## Sealed block: data block, uncompressed, at offset 0 of that table\n");
        Line("block", Block);
        Line("nonce", BlockNonce(0));
        Line("associated data", BlockAd(0));
        var sealedBlock = SealExampleBlock();
        Line("ciphertext", sealedBlock.AsSpan(0, Block.Length));
        Line("tag", sealedBlock.AsSpan(Block.Length));
        var trailer = new byte[BlockTrailer.Size];
        BlockTrailer.Write(trailer, sealedBlock, (byte)CompressionType.None | BlockTrailer.EncryptedFlag);
        Line("trailer", trailer);
        sb.Append($"\n## Sealed record: write-ahead log {LogNumber}, metadata key id {KeyId} (the same key bytes), HKDF salt = database id, family 0\n");
        Line("info", RecordInfo());
        Line("record key", KeyDerivation.Derive(DataKey, DatabaseId, FileKeyKind.Log, DatabaseId, 0, LogNumber, KeyId, Generation));
        Line("associated data", RecordAd());
        sb.Append("layout                key_id u32 LE | nonce[12] = record ordinal u32 LE, 8 random bytes per writer | ciphertext | tag[16]\n");
        sb.Append($"\n## Compact sealed record (database format 11): the same log, key and associated data, salt {Hex(LogSalt)}, record 0\n");
        var (header, record) = SealExampleCompactRecord();
        Line("log header", header);
        Line("plaintext", LogRecord);
        Line("nonce", CompactNonce(0));
        Line("compact record", record);
        return sb.ToString();
    }

    private static string Hex(ReadOnlySpan<byte> bytes) => string.Join(' ', bytes.ToArray().Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));

    private static KeyEntry ExampleKey(KeyPurpose purpose) => new()
    {
        Id = KeyId, Purpose = purpose, ColumnFamilyId = purpose == KeyPurpose.Data ? ColumnFamily : 0, Generation = Generation,
        CreatedMs = 0, Scope = [], Material = DataKey.ToArray(), State = KeyState.Active,
    };

    private static (byte[] Header, byte[] Record) SealExampleCompactRecord()
    {
        using var cipher = new RecordCipher(ExampleKey(KeyPurpose.Metadata), DatabaseId, FileKeyKind.Log, LogNumber, LogSalt);
        var header = new byte[RecordCipher.LogHeaderSize];
        cipher.WriteLogHeader(header);
        var record = new byte[LogRecord.Length + RecordCipher.CompactOverhead];
        Assert.Equal(record.Length, cipher.SealCompact(LogRecord, record));
        return (header, record);
    }

    /// <summary>ordinal u32 ‖ salt[8].</summary>
    private static byte[] CompactNonce(uint ordinal)
    {
        var nonce = new byte[12];
        BinaryPrimitives.WriteUInt32LittleEndian(nonce, ordinal);
        LogSalt.CopyTo(nonce, 4);
        return nonce;
    }

    private static byte[] SealExampleBlock()
    {
        using var cipher = TableCipher.ForExistingTable(ExampleKey(KeyPurpose.Data), TableSalt, DatabaseId, TableNumber);
        var sealedBlock = new byte[Block.Length + TableCipher.Overhead];
        cipher.Seal(Block, 0, BlockKind.Data, (byte)CompressionType.None, sealedBlock);
        return sealedBlock;
    }

    // The layouts below are written from the format description, not from the engine's code.

    /// <summary>"LatticeKV/1" ‖ kind u8 ‖ db_id[16] ‖ cf u32 ‖ number u64 ‖ key_id u32 ‖ generation u32, little-endian.</summary>
    private static byte[] Info(FileKeyKind kind, uint cf, long number)
    {
        var info = new byte[48];
        "LatticeKV/1"u8.CopyTo(info);
        info[11] = (byte)kind;
        DatabaseId.CopyTo(info, 12);
        BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(28), cf);
        BinaryPrimitives.WriteUInt64LittleEndian(info.AsSpan(32), (ulong)number);
        BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(40), KeyId);
        BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(44), Generation);
        return info;
    }

    private static byte[] TableInfo() => Info(FileKeyKind.Table, ColumnFamily, TableNumber);

    private static byte[] RecordInfo() => Info(FileKeyKind.Log, 0, LogNumber);

    /// <summary>offset u64 ‖ 0 u32.</summary>
    private static byte[] BlockNonce(long offset)
    {
        var nonce = new byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(nonce, (ulong)offset);
        return nonce;
    }

    /// <summary>table format u32 (2) ‖ db_id[16] ‖ cf u32 ‖ file u64 ‖ offset u64 ‖ block kind u8 ‖ compression type u8.</summary>
    private static byte[] BlockAd(long offset)
    {
        var ad = new byte[42];
        BinaryPrimitives.WriteUInt32LittleEndian(ad, 2);
        DatabaseId.CopyTo(ad, 4);
        BinaryPrimitives.WriteUInt32LittleEndian(ad.AsSpan(20), ColumnFamily);
        BinaryPrimitives.WriteUInt64LittleEndian(ad.AsSpan(24), TableNumber);
        BinaryPrimitives.WriteUInt64LittleEndian(ad.AsSpan(32), (ulong)offset);
        ad[40] = (byte)BlockKind.Data;
        ad[41] = (byte)CompressionType.None;
        return ad;
    }

    /// <summary>"LKVW" ‖ kind u8 ‖ db_id[16] ‖ file u64 ‖ key_id u32.</summary>
    private static byte[] RecordAd()
    {
        var ad = new byte[33];
        "LKVW"u8.CopyTo(ad);
        ad[4] = (byte)FileKeyKind.Log;
        DatabaseId.CopyTo(ad, 5);
        BinaryPrimitives.WriteUInt64LittleEndian(ad.AsSpan(21), LogNumber);
        BinaryPrimitives.WriteUInt32LittleEndian(ad.AsSpan(29), KeyId);
        return ad;
    }
}
