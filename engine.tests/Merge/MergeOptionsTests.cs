using LatticeKV.Tests.Crypto;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Merge.MergeSupport;

namespace LatticeKV.Tests.Merge;

/// <summary>Where merges are refused, and what opening with a missing or different operator does.</summary>
public class MergeOptionsTests
{
    private static readonly byte[] K = TestDb.B("acct");

    [Fact]
    public void Merge_FamilyWithoutOperator_IsRefusedAndNothingIsWritten()
    {
        using var dir = new TempDir("merge");
        using var db = LatticeDb.Open(dir.Path, Options(dir.Path, null));
        var ex = Assert.Throws<InvalidArgumentException>(() => db.Merge(K, I64(1)));
        Assert.Contains("no merge operator", ex.Message, StringComparison.Ordinal);
        var batch = new WriteBatch();
        batch.Put(TestDb.B("other"), I64(1));
        batch.Merge(K, I64(1));
        Assert.Throws<InvalidArgumentException>(() => db.Write(batch));
        Assert.Null(db.Get(TestDb.B("other")));
    }

    [Fact]
    public void Merge_MalformedInt64Operand_IsRefusedAtWriteTime()
    {
        using var dir = new TempDir("merge");
        using var db = LatticeDb.Open(dir.Path, Options(dir.Path, MergeOperators.Int64Add));
        var ex = Assert.Throws<InvalidArgumentException>(() => db.Merge(K, new byte[4]));
        Assert.Contains("lattice.Int64Add", ex.Message, StringComparison.Ordinal);
        Assert.Null(db.Get(K));
    }

    [Fact]
    public void MergeOperator_WithTtlOrScope_IsRefusedWhenTheFamilyIsCreated()
    {
        using var dir = new TempDir("merge");
        using var db = LatticeDb.Open(dir.Path, Options(dir.Path, null));
        var ttl = Assert.Throws<InvalidArgumentException>(() => db.CreateColumnFamily("ttl", new ColumnFamilyOptions { MergeOperator = MergeOperators.Int64Add, Ttl = TimeSpan.FromHours(1) }));
        Assert.Contains("Ttl", ttl.Message, StringComparison.Ordinal);
        var scoped = Assert.Throws<InvalidArgumentException>(() => db.CreateColumnFamily("scoped",
            new ColumnFamilyOptions { MergeOperator = MergeOperators.Int64Add, Encrypted = true, EncryptionScope = key => key[..1] }));
        Assert.Contains("EncryptionScope", scoped.Message, StringComparison.Ordinal);
    }

    /// <summary>A TTL given later to a family holding operands: merges are refused from then on (its operands still read).</summary>
    [Fact]
    public void Merge_FamilyReopenedWithTtl_IsRefusedAndOldOperandsStillRead()
    {
        using var dir = new TempDir("merge");
        using (var db = LatticeDb.Open(dir.Path, Options(dir.Path, MergeOperators.Int64Add)))
            db.Merge(K, I64(4));
        var reopened = Options(dir.Path, null);
        reopened.DefaultColumnFamilyOptions.Ttl = TimeSpan.FromDays(1);
        using var db2 = LatticeDb.Open(dir.Path, reopened);
        Assert.Throws<InvalidArgumentException>(() => db2.Merge(K, I64(1)));
        Assert.Throws<MergeException>(() => db2.Get(K));
    }

    [Fact]
    public void Open_WithARenamedOperator_FailsNamingBoth()
    {
        using var dir = new TempDir("merge");
        using (var db = LatticeDb.Open(dir.Path, Options(dir.Path, MergeOperators.Int64Add)))
            db.Merge(K, I64(1));
        var ex = Assert.Throws<InvalidArgumentException>(() => LatticeDb.Open(dir.Path, Options(dir.Path, MergeOperators.Max)));
        Assert.Contains("lattice.Int64Add", ex.Message, StringComparison.Ordinal);
        Assert.Contains("lattice.Max", ex.Message, StringComparison.Ordinal);
        // The refused open changed nothing: the right operator still reads the sum.
        using var db2 = LatticeDb.Open(dir.Path, Options(dir.Path, MergeOperators.Int64Add));
        Assert.Equal(1, AsI64(db2.Get(K)));
    }

    [Fact]
    public void Open_WithoutTheOperator_ReadsMergedKeysAsErrorsAndKeepsTheOperatorName()
    {
        using var dir = new TempDir("merge");
        using (var db = LatticeDb.Open(dir.Path, Options(dir.Path, MergeOperators.Int64Add)))
        {
            db.Merge(K, I64(1));
            db.Put(TestDb.B("plain"), I64(2));
        }
        using (var db = LatticeDb.Open(dir.Path, Options(dir.Path, null)))
        {
            var ex = Assert.Throws<MergeException>(() => db.Get(K));
            Assert.Contains("lattice.Int64Add", ex.Message, StringComparison.Ordinal);
            Assert.Contains("acct", ex.Message, StringComparison.Ordinal);
            Assert.Equal("default", ex.ColumnFamily);
            Assert.Throws<MergeException>(() => RangeScan(db));
            Assert.Equal(2, AsI64(db.Get(TestDb.B("plain"))));
            Assert.Throws<InvalidArgumentException>(() => db.Merge(K, I64(1)));
            db.CompactRange(); // keeps the operands: it has no operator to merge them with
        }
        // The name survived the open without it, so a different operator is still refused.
        Assert.Throws<InvalidArgumentException>(() => LatticeDb.Open(dir.Path, Options(dir.Path, MergeOperators.Max)));
        using var db3 = LatticeDb.Open(dir.Path, Options(dir.Path, MergeOperators.Int64Add));
        Assert.Equal(1, AsI64(db3.Get(K)));
    }

    [Fact]
    public void FormatVersion_IsFiveOnlyOnceAFamilyHasAnOperator()
    {
        using var dir = new TempDir("merge");
        using (LatticeDb.Open(dir.Path, Options(dir.Path, null))) { }
        Assert.Equal(3u, Inspect.DatabaseInspector.Inspect(dir.Path).FormatVersion);
        using (var db = LatticeDb.Open(dir.Path, Options(dir.Path, null)))
        {
            var cf = db.CreateColumnFamily("counters", new ColumnFamilyOptions { MergeOperator = MergeOperators.Int64Add });
            db.Merge(cf, K, I64(3));
        }
        // Recorded by the creation, before any operand was logged; an open without operators keeps it.
        Assert.Equal(5u, Inspect.DatabaseInspector.Inspect(dir.Path).FormatVersion);
        using (LatticeDb.Open(dir.Path, Options(dir.Path, null))) { }
        Assert.Equal(5u, Inspect.DatabaseInspector.Inspect(dir.Path).FormatVersion);
    }

    [Fact]
    public void FormatVersionFor_Merges_IsFivePlainAndElevenEncrypted()
    {
        Assert.Equal(11u, LatticeKV.Manifest.VersionSet.MaxFormatVersion);
        Assert.Equal(5u, LatticeKV.Manifest.VersionSet.FormatVersionFor(encrypted: false, merges: true));
        // Every encrypted database this build writes has compact sealed logs (format 11), merges or not.
        Assert.Equal(11u, LatticeKV.Manifest.VersionSet.FormatVersionFor(encrypted: true, merges: false));
        Assert.Equal(11u, LatticeKV.Manifest.VersionSet.FormatVersionFor(encrypted: true, merges: true));
    }

    /// <summary>Repair keeps operands (it merges nothing) and the database's merge format.</summary>
    [Fact]
    public void Repair_DatabaseWithOperands_KeepsThemAndFormatFive()
    {
        using var dir = new TempDir("merge");
        using (var db = LatticeDb.Open(dir.Path, Options(dir.Path, MergeOperators.Int64Add)))
        {
            db.Put(K, I64(10));
            db.Merge(K, I64(1));
            db.Flush();
            db.Merge(K, I64(2));
        }
        foreach (var manifest in Directory.GetFiles(dir.Path, "MANIFEST-*")) File.Delete(manifest);
        File.Delete(Path.Combine(dir.Path, "CURRENT"));
        LatticeDb.Repair(dir.Path, Options(dir.Path, MergeOperators.Int64Add));
        Assert.Equal(5u, Inspect.DatabaseInspector.Inspect(dir.Path).FormatVersion);
        using var reopened = LatticeDb.Open(dir.Path, Options(dir.Path, MergeOperators.Int64Add));
        Assert.Equal(13, AsI64(reopened.Get(K)));
    }

    [Fact]
    public void MergeException_EncryptedFamily_NamesNoKey()
    {
        using var dir = new TempDir("merge");
        var options = EncryptionSupport.Options(EncryptionSupport.NewKey());
        options.DefaultColumnFamilyOptions.Encrypted = true;
        options.DefaultColumnFamilyOptions.MergeOperator = MergeOperators.Int64Add;
        using var db = LatticeDb.Open(dir.Path, options);
        db.Merge(TestDb.B("secret-key"), I64(long.MaxValue));
        db.Merge(TestDb.B("secret-key"), I64(1));
        var ex = Assert.Throws<MergeException>(() => db.Get(TestDb.B("secret-key")));
        Assert.DoesNotContain("secret", ex.ToString(), StringComparison.Ordinal);
        Assert.Null(ex.InnerException);
        Assert.Contains("encrypted", ex.Message, StringComparison.Ordinal);
    }

    private static int RangeScan(LatticeDb db)
    {
        int n = 0;
        using var it = db.NewIterator();
        for (it.SeekToFirst(); it.Valid; it.Next()) n++;
        return n;
    }
}
