using LatticeKV.Inspect;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Integrity;

/// <summary>
/// A database moves to format 7 (FORMAT.md §18) once it has a validator, a foreign key or schema
/// versions, and only then: an older build would write to it without enforcing them.
/// </summary>
public sealed class IntegrityFormatVersionTests
{
    [Fact]
    public void AFamilyCreatedWithAValidator_RecordsSeven_AndReopeningWithoutOneKeepsIt()
    {
        using var dir = new TempDir("fv-validator");
        using (var db = LatticeDb.Open(dir.Path)) db.Put(B("k"), B("v"));
        Assert.Equal(3u, DatabaseInspector.Inspect(dir.Path).FormatVersion);
        using (var db = LatticeDb.Open(dir.Path)) db.CreateColumnFamily("docs", new ColumnFamilyOptions { Validator = ValueValidators.Json });
        Assert.Equal(7u, DatabaseInspector.Inspect(dir.Path).FormatVersion);
        using (LatticeDb.Open(dir.Path)) { }
        Assert.Equal(7u, DatabaseInspector.Inspect(dir.Path).FormatVersion);
    }

    [Fact]
    public void AValidatorGivenAtOpenToAnExistingFamily_RecordsSeven()
    {
        using var dir = new TempDir("fv-validator-open");
        using (var db = LatticeDb.Open(dir.Path)) db.CreateColumnFamily("docs", new ColumnFamilyOptions { Replicated = true });
        Assert.Equal(6u, DatabaseInspector.Inspect(dir.Path).FormatVersion);
        var options = new DbOptions();
        options.ColumnFamilyOptions["docs"] = new ColumnFamilyOptions { Replicated = true, Validator = ValueValidators.Json };
        using (LatticeDb.Open(dir.Path, options)) { }
        Assert.Equal(7u, DatabaseInspector.Inspect(dir.Path).FormatVersion);
    }

    [Fact]
    public void AForeignKey_RecordsSeven()
    {
        using var dir = new TempDir("fv-fk");
        using (var db = LatticeDb.Open(dir.Path))
        {
            var accounts = db.CreateColumnFamily("accounts");
            var txns = db.CreateColumnFamily("txns");
            db.AddForeignKey(new ForeignKeyDefinition { Name = "fk", ChildFamily = txns, ParentFamily = accounts, ParentKey = IndexExtractors.JsonField("$.account") });
        }
        Assert.Equal(7u, DatabaseInspector.Inspect(dir.Path).FormatVersion);
    }

    [Fact]
    public void ARepair_KeepsSeven_ForAValidatorAndForForeignKeys()
    {
        using var dir = new TempDir("fv-repair");
        using (var db = LatticeDb.Open(dir.Path))
        {
            var docs = db.CreateColumnFamily("docs", new ColumnFamilyOptions { Validator = ValueValidators.Json });
            db.Put(docs, B("d"), B("{}"));
            db.Flush();
        }
        LatticeDb.Repair(dir.Path);
        Assert.Equal(7u, DatabaseInspector.Inspect(dir.Path).FormatVersion);

        using var fkDir = new TempDir("fv-repair-fk");
        using (var db = LatticeDb.Open(fkDir.Path))
        {
            var accounts = db.CreateColumnFamily("accounts");
            var txns = db.CreateColumnFamily("txns");
            db.AddForeignKey(new ForeignKeyDefinition { Name = "fk", ChildFamily = txns, ParentFamily = accounts, ParentKey = IndexExtractors.JsonField("$.account") });
            db.Flush();
        }
        LatticeDb.Repair(fkDir.Path);
        Assert.Equal(7u, DatabaseInspector.Inspect(fkDir.Path).FormatVersion);
    }
}
