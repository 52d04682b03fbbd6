using LatticeKV.Io;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Integrity;

/// <summary><see cref="LatticeDb.ValidateExisting"/> reports every stored value a validator refuses, at one snapshot.</summary>
public sealed class ValidateExistingTests
{
    [Fact]
    public void ValidateExisting_FindsEveryViolation_InMemtableAndTables()
    {
        var fs = new MemFileSystem();
        using var db = LatticeDb.Open(DbPath, MemOptions(fs, o => o.WriteBufferSize = 16 * 1024));
        var cf = db.CreateColumnFamily("accounts");
        var expected = new SortedSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < 2000; i++)
        {
            string key = $"acc/{i:D5}";
            bool bad = i % 7 == 3;
            db.Put(cf, B(key), B(bad ? $"{{\"balance\":{i}" : $"{{\"balance\":{i}}}"));
            if (bad) expected.Add(key);
            if (i == 1000) db.Flush();
        }
        db.Delete(cf, B("acc/00003")); // a refused value deleted since is no violation
        expected.Remove("acc/00003");

        var found = db.ValidateExisting(cf, ValueValidators.Json).ToList();
        Assert.Equal(expected, found.Select(v => S(v.Key)!).ToHashSet());
        Assert.Equal(expected.Count, found.Count);
        Assert.All(found, v => Assert.Equal("accounts", v.ColumnFamily));
        Assert.All(found, v => Assert.StartsWith("value is not well-formed JSON", v.Reason));
    }

    [Fact]
    public void ValidateExisting_ReadsAtOneSnapshot()
    {
        var fs = new MemFileSystem();
        using var db = LatticeDb.Open(DbPath, MemOptions(fs));
        var cf = db.CreateColumnFamily("cf");
        db.Put(cf, B("a"), B("bad"));
        db.Put(cf, B("b"), B("bad"));
        using var e = db.ValidateExisting(cf, ValueValidators.Json).GetEnumerator();
        Assert.True(e.MoveNext());
        db.Put(cf, B("c"), B("bad")); // written after the scan began: not seen
        db.Delete(cf, B("b"));
        Assert.True(e.MoveNext());
        Assert.Equal("b", S(e.Current.Key));
        Assert.False(e.MoveNext());
    }

    [Fact]
    public void ValidateExisting_UsesTheFamilysValidator_AndHidesEncryptedValues()
    {
        var fs = new MemFileSystem();
        using var db = LatticeDb.Open(DbPath, MemOptions(fs, o => o.Encryption = EncryptionOptions.FromKey(new byte[32])));
        var cf = db.CreateColumnFamily("vault", new ColumnFamilyOptions { Encrypted = true });
        db.Put(cf, B("k1"), B("""{"balance":-5150}"""));
        db.Put(cf, B("k2"), B("""{"balance":5}"""));
        Assert.Throws<InvalidArgumentException>(() => db.ValidateExisting(cf));
        var schema = ValueValidators.JsonSchema("""{"properties":{"balance":{"minimum":0}}}""");
        var violation = Assert.Single(db.ValidateExisting(cf, schema));
        Assert.Equal("k1", S(violation.Key));
        Assert.DoesNotContain("5150", violation.Reason, StringComparison.Ordinal);
        Assert.Contains("minimum", violation.Reason, StringComparison.Ordinal);
    }
}
