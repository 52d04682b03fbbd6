using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Crypto;

public sealed class ScopeTests
{
    // Keys are "user/<id>/..."; the scope is "user/<id>".
    private static ReadOnlySpan<byte> UserScope(ReadOnlySpan<byte> key)
    {
        int first = key.IndexOf((byte)'/');
        if (first < 0) return default;
        int second = key[(first + 1)..].IndexOf((byte)'/');
        return second < 0 ? default : key[..(first + 1 + second)];
    }

    private static DbOptions Options(byte[] key)
    {
        var o = EncryptionSupport.Options(key);
        o.DefaultColumnFamilyOptions.EncryptionScope = UserScope;
        return o;
    }

    [Fact]
    public void ShreddingOneScope_HidesItsValuesEverywhere_AndLeavesOtherScopesReadable()
    {
        using var dir = new TempDir("scope");
        var key = EncryptionSupport.NewKey();
        var aliceValues = new List<byte[]>();
        var bob = new Dictionary<string, byte[]>();
        using (var db = LatticeDb.Open(dir.Path, Options(key)))
        {
            for (int i = 0; i < 1500; i++)
            {
                var a = EncryptionSupport.Sentinel();
                var b = EncryptionSupport.Sentinel();
                aliceValues.Add(a);
                db.Put(TestDb.B($"user/alice/{i:D5}"), a);
                db.Put(TestDb.B($"user/bob/{i:D5}"), b);
                bob[$"user/bob/{i:D5}"] = b;
                if (i == 700) db.Flush();
            }
            db.Put(TestDb.B("global"), TestDb.B("unscoped"));
            Assert.Equal(aliceValues[3], db.Get(TestDb.B("user/alice/00003")));
            Assert.Equal(aliceValues[1400], db.Get(TestDb.B("user/alice/01400"))); // in the memtable

            db.ShredScope(db.DefaultColumnFamily, TestDb.B("user/alice"));
            Assert.Null(db.Get(TestDb.B("user/alice/00003")));
            Assert.Null(db.Get(TestDb.B("user/alice/01400")));
            using (var it = db.NewIterator())
            {
                int n = 0;
                for (it.Seek(TestDb.B("user/alice/")); it.Valid && it.Key.StartsWith("user/alice/"u8); it.Next()) n++;
                Assert.Equal(0, n);
            }
            foreach (var (k, v) in bob) Assert.Equal(v, db.Get(TestDb.B(k)));
            Assert.Equal("unscoped", TestDb.S(db.Get(TestDb.B("global"))));
            // New writes to the shredded scope get a new key and read back.
            db.Put(TestDb.B("user/alice/new"), TestDb.B("fresh"));
            Assert.Equal("fresh", TestDb.S(db.Get(TestDb.B("user/alice/new"))));
            db.CompactRange();
            Assert.Null(db.Get(TestDb.B("user/alice/00003")));
        }
        Assert.Equal(0, EncryptionSupport.CountFound(dir.Path, aliceValues));
        using (var db = LatticeDb.Open(dir.Path, Options(key)))
        {
            Assert.Null(db.Get(TestDb.B("user/alice/00010")));
            Assert.Equal("fresh", TestDb.S(db.Get(TestDb.B("user/alice/new"))));
            foreach (var (k, v) in bob) Assert.Equal(v, db.Get(TestDb.B(k)));
            using var it = db.NewIterator();
            int n = 0;
            for (it.SeekToFirst(); it.Valid; it.Next()) n++;
            Assert.Equal(bob.Count + 2, n); // bob's, "global" and alice's new value
        }
    }

    [Fact]
    public void ShreddedScope_IsGoneFromTheLogToo_AfterACrashBeforeAnyFlush()
    {
        using var dir = new TempDir("scope-log");
        var key = EncryptionSupport.NewKey();
        using (var db = LatticeDb.Open(dir.Path, Options(key)))
        {
            db.Put(TestDb.B("user/carol/1"), TestDb.B("secret"), new WriteOptions { Sync = true });
            db.Put(TestDb.B("user/dave/1"), TestDb.B("kept"), new WriteOptions { Sync = true });
            db.ShredScope(db.DefaultColumnFamily, TestDb.B("user/carol"));
        }
        using (var db = LatticeDb.Open(dir.Path, Options(key)))
        {
            Assert.Null(db.Get(TestDb.B("user/carol/1")));
            Assert.Equal("kept", TestDb.S(db.Get(TestDb.B("user/dave/1"))));
        }
    }

    [Fact]
    public void ScopedFamily_OpenedWithoutItsSelector_ReadsButRefusesWrites_AndAnUnscopedOneWithDataCannotBecomeScoped()
    {
        using var dir = new TempDir("scope-open");
        var key = EncryptionSupport.NewKey();
        using (var db = LatticeDb.Open(dir.Sub("scoped"), Options(key))) db.Put(TestDb.B("user/x/1"), TestDb.B("v"));
        using (var db = LatticeDb.Open(dir.Sub("scoped"), EncryptionSupport.Options(key)))
        {
            Assert.Equal("v", TestDb.S(db.Get(TestDb.B("user/x/1"))));
            Assert.Throws<InvalidArgumentException>(() => db.Put(TestDb.B("user/x/2"), TestDb.B("w")));
            Assert.Null(db.Get(TestDb.B("user/x/2")));
        }
        // Still scoped afterwards: the options stored without a selector kept the mark.
        using (var db = LatticeDb.Open(dir.Sub("scoped"), Options(key)))
        {
            db.Put(TestDb.B("user/x/2"), TestDb.B("w"));
            Assert.Equal("w", TestDb.S(db.Get(TestDb.B("user/x/2"))));
        }
        using (var db = LatticeDb.Open(dir.Sub("plain"), EncryptionSupport.Options(key))) db.Put(TestDb.B("user/x/1"), TestDb.B("v"));
        Assert.Throws<InvalidArgumentException>(() => LatticeDb.Open(dir.Sub("plain"), Options(key)));
        var noEncryption = new ColumnFamilyOptions { EncryptionScope = UserScope };
        Assert.Throws<InvalidArgumentException>(() => LatticeDb.Open(dir.Sub("x"), new DbOptions { Encryption = EncryptionOptions.FromKey(key), DefaultColumnFamilyOptions = noEncryption }));
    }
}
