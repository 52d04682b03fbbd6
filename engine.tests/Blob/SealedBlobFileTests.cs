using System.Buffers.Binary;
using LatticeKV.Blob;
using LatticeKV.Crypto;
using LatticeKV.Db;
using LatticeKV.Io;
using LatticeKV.Keys;
using LatticeKV.Tests.Crypto;
using LatticeKV.Tests.Db;

namespace LatticeKV.Tests.Blob;

/// <summary>
/// Sealed blob files (FORMAT.md §21.7): an encrypted family's records are AES-GCM sealed under a
/// key derived for the file; a record damaged, moved within its file or swapped in from another
/// file fails authentication with a <see cref="CorruptionException"/> naming file and offset.
/// </summary>
public sealed class SealedBlobFileTests : IDisposable
{
    private const string Dir = "/b";
    private readonly MemFileSystem _fs = new();
    private readonly KeyRegistry _keys;
    private readonly KeyEntry _key;

    public SealedBlobFileTests()
    {
        _fs.CreateDirectory(Dir);
        _fs.CreateDirectory("/r");
        _keys = KeyRegistry.Create(new LogFramedRecords(_fs), "/r", new RawKeySource(EncryptionSupport.NewKey()), sealedFrom: 1, nowMs: 1000);
        _key = _keys.CreateKey(KeyPurpose.Data, 3, [], 1000);
    }

    public void Dispose() => _keys.Dispose();

    private static string PathOf(long number) => FileNames.Blob(Dir, number);

    private (List<BlobReference> Refs, List<byte[]> Values, BlobFileMetaData Meta) Write(long number, int zstdLevel, params int[] sizes)
    {
        var refs = new List<BlobReference>();
        var values = new List<byte[]>();
        BlobFileMetaData meta;
        using (var w = BlobFileWriter.Create(_fs.CreateWritable(PathOf(number)), number, 3, zstdLevel, new TableSealing(_key, _keys.DatabaseId.ToArray())))
        {
            for (int i = 0; i < sizes.Length; i++)
            {
                var v = LargeValueCompressionTests.Text(sizes[i], i);
                values.Add(v);
                refs.Add(w.Add(ValueKind.Value, v));
            }
            meta = w.Finish();
        }
        return (refs, values, meta);
    }

    private BlobFileReader Open(long number) => BlobFileReader.Open(_fs.OpenRead(PathOf(number)), number, _keys);

    /// <summary>Rewrites the CRC of the record at <paramref name="offset"/> so that only authentication can notice a change.</summary>
    private static void FixCrc(byte[] file, long offset)
    {
        var record = file.AsSpan((int)offset);
        int stored = (int)BinaryPrimitives.ReadUInt32LittleEndian(record[4..]);
        BinaryPrimitives.WriteUInt32LittleEndian(record[12..], BlobFileFormat.RecordCrc(record, record.Slice(BlobFileFormat.RecordHeaderSize, stored)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void WriteRead_SealedRecords_ReadBackWithoutPlaintextInFile(int zstdLevel)
    {
        var (refs, values, meta) = Write(7, zstdLevel, 1, 100, 5000, 70000);
        Assert.Equal(_key.Id, meta.KeyId);
        var file = _fs.GetContents(PathOf(7));
        Assert.Equal(meta.FileSize, file.Length);
        foreach (var v in values.Skip(1)) Assert.True(file.AsSpan().IndexOf(v.AsSpan(0, 32)) < 0, "a value's plaintext is in the sealed file");
        using var reader = Open(7);
        Assert.Equal(_key.Id, reader.KeyId);
        for (int i = 0; i < refs.Count; i++) Assert.Equal(values[i], reader.Read(BlobReference.Decode(refs[i].ToArray())));
        Assert.Equal(4, reader.VerifyAll());
        Assert.Equal(BlobFileFormat.SealedHeaderSize, refs[0].Offset);
    }

    [Fact]
    public void Read_FlippedCiphertextByteWithValidCrc_ThrowsCorruptionNamingFileAndOffset()
    {
        var (refs, _, _) = Write(7, 0, 5000, 5000);
        var file = _fs.GetContents(PathOf(7));
        file[refs[1].Offset + BlobFileFormat.RecordHeaderSize + 10] ^= 0x40;
        FixCrc(file, refs[1].Offset);
        _fs.SetContents(PathOf(7), file);
        using var reader = Open(7);
        Assert.Equal(5000, reader.Read(refs[0]).Length);
        var fixedRef = refs[1] with { Checksum = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan((int)refs[1].Offset + 12)) };
        var ex = Assert.Throws<CorruptionException>(() => reader.Read(fixedRef));
        Assert.Equal(PathOf(7), ex.FilePath);
        Assert.Equal(refs[1].Offset, ex.Offset);
        Assert.Contains("authenticate", ex.Message, StringComparison.Ordinal);
        Assert.Equal(refs[1].Offset, Assert.Throws<CorruptionException>(() => reader.VerifyAll()).Offset);
    }

    [Fact]
    public void Read_RecordSwappedInFromAnotherFile_ThrowsCorruptionNamingFileAndOffset()
    {
        // Same key, same sizes, same offsets: only the binding to the file tells the records apart.
        var (refs7, _, _) = Write(7, 0, 3000);
        var (refs8, _, _) = Write(8, 0, 3000);
        var file7 = _fs.GetContents(PathOf(7));
        var file8 = _fs.GetContents(PathOf(8));
        int offset = (int)refs7[0].Offset, size = (int)refs7[0].RecordSize;
        file8.AsSpan(offset, size).CopyTo(file7.AsSpan(offset));
        _fs.SetContents(PathOf(7), file7);
        using var reader = Open(7);
        // The reference a tampered table would carry: file 7, the swapped-in record's checksum.
        var ex = Assert.Throws<CorruptionException>(() => reader.Read(refs8[0] with { FileNumber = 7 }));
        Assert.Equal(PathOf(7), ex.FilePath);
        Assert.Equal(offset, ex.Offset);
    }

    [Fact]
    public void Read_RecordsSwappedWithinFile_ThrowsCorruption()
    {
        var (refs, _, _) = Write(7, 0, 2000, 2000);
        var file = _fs.GetContents(PathOf(7));
        int a = (int)refs[0].Offset, b = (int)refs[1].Offset, size = (int)refs[0].RecordSize;
        var first = file.AsSpan(a, size).ToArray();
        file.AsSpan(b, size).CopyTo(file.AsSpan(a));
        first.CopyTo(file.AsSpan(b));
        _fs.SetContents(PathOf(7), file);
        using var reader = Open(7);
        var ex = Assert.Throws<CorruptionException>(() => reader.Read(refs[1] with { Offset = a }));
        Assert.Equal(a, ex.Offset);
    }

    [Fact]
    public void Open_WithoutRegistryOrWithDestroyedKey_ThrowsEncryptionKeyException()
    {
        Write(7, 0, 100);
        Assert.Throws<EncryptionKeyException>(() => BlobFileReader.Open(_fs.OpenRead(PathOf(7)), 7));
        _keys.Destroy([_key.Id]);
        Assert.Throws<EncryptionKeyException>(() => Open(7));
    }

    [Fact]
    public void Open_HeaderNamingAnotherGeneration_ThrowsCorruption()
    {
        Write(7, 0, 100);
        var file = _fs.GetContents(PathOf(7));
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(20), _key.Generation + 1);
        _fs.SetContents(PathOf(7), file);
        var ex = Assert.Throws<CorruptionException>(() => Open(7));
        Assert.Equal(PathOf(7), ex.FilePath);
    }

    [Fact]
    public void Record_MatchesWorkedExample()
    {
        // FORMAT.md §21.7: "hello" sealed as the only record of blob file 7 of family 1, with the
        // key, database id and salt of the worked example of §12.
        var key = new KeyEntry
        {
            Id = 2, Purpose = KeyPurpose.Data, ColumnFamilyId = 1, Generation = 1, CreatedMs = 0, Scope = [],
            Material = Convert.FromHexString("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"), State = KeyState.Active,
        };
        var databaseId = Convert.FromHexString("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");
        var salt = Convert.FromHexString("b0b1b2b3b4b5b6b7b8b9babb");
        BlobReference r;
        using (var w = new BlobFileWriter(_fs.CreateWritable(PathOf(7)), 7, 1, 0, TableCipher.ForExistingBlobFile(key, salt, databaseId, 7)))
        {
            r = w.Add(ValueKind.Value, "hello"u8);
            w.Finish();
        }
        var file = _fs.GetContents(PathOf(7));
        Assert.Equal(40 + 16 + 5 + 16 + 32, file.Length);
        using (var cipher = TableCipher.ForExistingBlobFile(key, salt, databaseId, 7))
            Assert.Equal("hello"u8.ToArray(), BlobFileReader.Decode(file.AsSpan(40, 37), "example", 40, out _, cipher));
        // Rebuilt from the layout alone: HKDF info of kind 7, nonce = offset, the table block's associated data with kind 7 and the flags.
        var info = new byte[48];
        "LatticeKV/1"u8.CopyTo(info);
        info[11] = 7;
        databaseId.CopyTo(info, 12);
        BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(28), 1);
        BinaryPrimitives.WriteUInt64LittleEndian(info.AsSpan(32), 7);
        BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(40), 2);
        BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(44), 1);
        var fileKey = System.Security.Cryptography.HKDF.DeriveKey(System.Security.Cryptography.HashAlgorithmName.SHA256, key.Material, 32, salt, info);
        var nonce = new byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(nonce, 40);
        var ad = new byte[42];
        BinaryPrimitives.WriteUInt32LittleEndian(ad, 2);
        databaseId.CopyTo(ad, 4);
        BinaryPrimitives.WriteUInt32LittleEndian(ad.AsSpan(20), 1);
        BinaryPrimitives.WriteUInt64LittleEndian(ad.AsSpan(24), 7);
        BinaryPrimitives.WriteUInt64LittleEndian(ad.AsSpan(32), 40);
        ad[40] = 7;
        ad[41] = BlobFileFormat.FlagSealed;
        var expected = new byte[5 + 16];
        using (var aes = new System.Security.Cryptography.AesGcm(fileKey, 16))
            aes.Encrypt(nonce, "hello"u8, expected.AsSpan(0, 5), expected.AsSpan(5), ad);
        Assert.Equal(expected, file.AsSpan(56, 21).ToArray());
        var doc = File.ReadAllText(System.IO.Path.Combine(FormatTests.RepoRoot(), "FORMAT.md"));
        string[] lines =
        [
            Spaced(file.AsSpan(0, 16)), Spaced(file.AsSpan(16, 24)), Spaced(file.AsSpan(40, 16)),
            Spaced(file.AsSpan(56, 21)), Spaced(file.AsSpan(77, 16)), Spaced(file.AsSpan(93, 16)), Spaced(r.ToArray()),
        ];
        var missing = lines.Where(line => !doc.Contains(line, StringComparison.Ordinal)).ToList();
        Assert.True(missing.Count == 0, "FORMAT.md §21.7 lacks:\n" + string.Join('\n', missing));
    }

    private static string Spaced(ReadOnlySpan<byte> bytes) => string.Join(' ', bytes.ToArray().Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
}
