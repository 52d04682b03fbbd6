using LatticeKV.Indexing;
using LatticeKV.Tests.Crypto;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Indexing.IndexSupport;

namespace LatticeKV.Tests.Indexing;

/// <summary>Index definitions, their hidden families, reopening, dropping, encryption and damaged definitions.</summary>
public sealed class IndexCatalogTests
{
    private static IndexHandle Ready(LatticeDb db, ColumnFamilyHandle cf, string name, IndexExtractor extractor)
    {
        var index = db.CreateIndex(cf, new IndexDefinition { Name = name, Extractor = extractor });
        Assert.True(index.WaitUntilReady(TimeSpan.FromSeconds(30)));
        return index;
    }

    [Fact]
    public void HiddenFamilies_CannotBeCreatedOrSeen_ButIndexesReopenByThemselves()
    {
        using var dir = new TempDir("index-hidden");
        using (var db = LatticeDb.Open(dir.Path))
        {
            Assert.Throws<InvalidArgumentException>(() => db.CreateColumnFamily(IndexFamilies.ReservedPrefix + "mine"));
            var cf = db.CreateColumnFamily("tx");
            db.Put(cf, B("t1"), Doc("alice", 1));
            Ready(db, cf, "by-account", IndexExtractors.Composite(IndexExtractors.JsonField("account"), IndexExtractors.JsonField("height")));
            Ready(db, cf, "by-key", IndexExtractors.KeyBytes(1));
            Ready(db, cf, "by-value", IndexExtractors.ValueBytes(2, 3));
            Assert.Equal(["default", "tx"], db.ColumnFamilies.Select(c => c.Name));
            Assert.False(db.TryGetColumnFamily(IndexFamilies.CatalogName, out _));
            Assert.Throws<ColumnFamilyNotFoundException>(() => db.GetColumnFamily(IndexFamilies.EntriesOf("by-account")));
            Assert.Throws<InvalidArgumentException>(() => db.DropColumnFamily(cf)); // it has indexes
        }
        Assert.Equal(["default", "tx"], LatticeDb.ListColumnFamilies(dir.Path));
        using (var db = LatticeDb.Open(dir.Path))
        {
            Assert.Equal(["by-account", "by-key", "by-value"], db.ListIndexes().Select(i => i.Name));
            Assert.Equal("composite(json(account), json(height))", db.GetIndex("by-account").Extractor);
            var cf = db.GetColumnFamily("tx");
            db.Put(cf, B("t2"), Doc("alice", 2));
            using var it = db.QueryIndexPrefix(db.GetIndex("by-account"), IndexKeys.CompositePrefix(B("alice")));
            Assert.Equal(["t1", "t2"], Read(it, reverse: false).Select(r => r.Split('/', '=')[1]));
            using var byKey = db.QueryIndex(db.GetIndex("by-key"), B("2"), []);
            Assert.Equal(["t2"], Read(byKey, reverse: false).Select(r => r.Split('/', '=')[1]));
            db.DropIndex(db.GetIndex("by-value"));
            db.DropIndex(db.GetIndex("by-key"));
            db.DropIndex(db.GetIndex("by-account"));
            db.DropColumnFamily(cf);
        }
        using (var db = LatticeDb.Open(dir.Path))
            Assert.Empty(db.ListIndexes());
    }

    [Fact]
    public void CustomExtractor_NotSuppliedAtOpen_RefusesWritesUntilItIs()
    {
        using var dir = new TempDir("index-custom");
        var selector = IndexExtractors.Custom("first-byte", (key, value, keys) => keys.Add(value[..1].ToArray()));
        using (var db = LatticeDb.Open(dir.Path))
        {
            Ready(db, db.DefaultColumnFamily, "first", selector);
            db.Put(B("a"), B("xyz"));
        }
        using (var db = LatticeDb.Open(dir.Path))
        {
            var ex = Assert.Throws<InvalidArgumentException>(() => db.Put(B("b"), B("xy")));
            Assert.Contains("first-byte", ex.Message, StringComparison.Ordinal);
            Assert.Null(db.Get(B("b")));
            db.Put(db.CreateColumnFamily("other"), B("b"), B("other families are written as usual"));
        }
        var options = new DbOptions();
        options.IndexExtractors["first-byte"] = selector;
        using (var db = LatticeDb.Open(dir.Path, options))
        {
            db.Put(B("b"), B("xy"));
            using var it = db.QueryIndexPrefix(db.GetIndex("first"), B("x"));
            Assert.Equal(["a", "b"], Read(it, reverse: false).Select(r => r.Split('/', '=')[1]));
        }
    }

    [Fact]
    public void CreateIndex_ScopeSealedFamily_IsRefused()
    {
        using var dir = new TempDir("index-scoped");
        var options = EncryptionSupport.Options(EncryptionSupport.NewKey());
        using var db = LatticeDb.Open(dir.Path, options);
        var cf = db.CreateColumnFamily("users", new ColumnFamilyOptions { Encrypted = true, EncryptionScope = key => key[..1] });
        var ex = Assert.Throws<InvalidArgumentException>(() => db.CreateIndex(cf, new IndexDefinition { Name = "i", Extractor = IndexExtractors.ValueBytes(0) }));
        Assert.Contains("scope", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void EncryptedFamily_IndexEntriesDocumentsAndCursors_HoldNoPlaintextOnDisk()
    {
        var words = Enumerable.Range(0, 20).Select(_ => Convert.ToHexStringLower(EncryptionSupport.Sentinel())).ToList();
        var sentinels = words.Select(B).ToList();

        void Fill(LatticeDb db)
        {
            var cf = db.DefaultColumnFamily;
            for (int i = 0; i < words.Count; i++) db.Put(B($"p{i:D2}"), Doc(words[i], i, words[(i + 1) % words.Count]));
            var byAccount = Ready(db, cf, "by-account", IndexExtractors.JsonField("$.account"));
            var notes = Ready(db, cf, "notes", IndexExtractors.Text("$.note"));
            Assert.Single(db.Search(notes, words[3], 5));
            db.Flush();
            db.CompactRange(EntriesOf(db, byAccount));
            db.CompactRange(EntriesOf(db, notes));
        }

        using (var plain = new TempDir("index-plain"))
        {
            // The scan finds them in a plaintext database: in the index families as in the data.
            using (var db = LatticeDb.Open(plain.Path, new DbOptions { DefaultColumnFamilyOptions = new ColumnFamilyOptions { Compression = CompressionType.None } })) Fill(db);
            Assert.Equal(words.Count, EncryptionSupport.CountFound(plain.Path, sentinels));
        }
        using var dir = new TempDir("index-encrypted");
        var options = EncryptionSupport.Options(EncryptionSupport.NewKey());
        using (var db = LatticeDb.Open(dir.Path, options))
        {
            Fill(db);
            Assert.All(db.HiddenFamilies(), f => Assert.True(f.Data.Options.Encrypted, f.Name));
        }
        Assert.True(EncryptionSupport.CountFound(dir.Path, sentinels) == 0, EncryptionSupport.WhereFound(dir.Path, sentinels));
    }

    [Theory]
    [InlineData("")]                              // empty record
    [InlineData("02")]                            // a future format version
    [InlineData("01 09 00 00 00 01 00")]          // unknown state
    [InlineData("01 02 F0 00 00 01 00")]          // unknown flags
    [InlineData("01 02 00 00 00 63")]             // unknown extractor kind
    [InlineData("01 02 00 00 00 01 FF FF FF FF")] // a path longer than the record
    [InlineData("01 02 00 00 00 04 01 05 00")]    // a composite of one part
    [InlineData("01 02 00 00 00 04 02 05 00 05 00")] // a composite of text parts
    [InlineData("01 02 00 00 00 01 01 2E")]       // an invalid JSON path "."
    [InlineData("01 02 00 00 00 01 01 C3")]       // a path that is not UTF-8
    [InlineData("01 02 00 00 00 03 00 00 00")]    // bytes after the definition
    [InlineData("01 02 01 00 00 05 00")]          // a unique text index
    public void Open_DamagedDefinition_ThrowsCorruptionNamingTheIndex(string hex)
    {
        using var dir = new TempDir("index-hostile");
        using (var db = LatticeDb.Open(dir.Path))
        {
            Ready(db, db.DefaultColumnFamily, "victim", IndexExtractors.JsonField("$.a"));
            db.TryGetFamilyAnyName(IndexFamilies.CatalogName, out var catalog);
            db.Put(catalog!, B("victim"), Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal)));
        }
        var ex = Assert.Throws<CorruptionException>(() => LatticeDb.Open(dir.Path));
        Assert.Contains("index 'victim'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void IndexRecordDecode_RandomBytes_OnlyCorruption()
    {
        int seed = TestSeed.Get(1923);
        var rng = new Random(seed);
        var valid = new IndexRecord("x", 3, IndexState.Building, false, 10,
            IndexExtractors.Composite(IndexExtractors.JsonField("a.b"), IndexExtractors.KeyBytes(1, 2)), [1, 2, 3]).Encode();
        var none = new Dictionary<string, IndexExtractor>();
        Assert.Equal(valid, IndexRecord.Decode("x", valid, none).Encode());
        for (int i = 0; i < 3000; i++)
        {
            var bytes = valid.ToArray();
            int flips = rng.Next(1, 4);
            for (int f = 0; f < flips; f++) bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256);
            if (rng.Next(4) == 0) bytes = bytes[..rng.Next(bytes.Length)];
            try
            {
                IndexRecord.Decode("x", bytes, none);
            }
            catch (CorruptionException)
            {
            }
        }
    }
}
