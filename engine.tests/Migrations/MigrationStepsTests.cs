using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Migrations;

public sealed class MigrationStepsTests
{
    private static LatticeDb Migrate(string path, params Migration[] steps)
    {
        var options = new DbOptions();
        options.Migrations.Add(Ledger.Initial());
        foreach (var s in steps) options.Migrations.Add(s);
        return LatticeDb.Open(path, options);
    }

    [Fact]
    public void CopyFamily_CopiesEveryEntryAndKeepsTheSource()
    {
        using var dir = new TempDir();
        string path = dir.Sub("db");
        Ledger.Create(path, 1500);
        using var db = Migrate(path, MigrationSteps.CopyFamily("accounts", 1, 2, "accounts-archive"));
        var source = db.GetColumnFamily("accounts");
        Assert.Equal(TestDb.Contents(db, source), TestDb.Contents(db, db.GetColumnFamily("accounts-archive")));
        Assert.Equal(1500, TestDb.Contents(db, source).Count);
        Assert.Equal(2, db.GetSchemaVersion(source));
    }

    [Fact]
    public void RenameFamily_MovesDataAndVersion_LaterStepsUseNewName()
    {
        using var dir = new TempDir();
        string path = dir.Sub("db");
        Ledger.Create(path, 1500);
        List<string> before;
        using (var db = LatticeDb.Open(path)) before = TestDb.Contents(db, db.GetColumnFamily("accounts"));
        var after = new Migration("customers", 2, 3, "touch customers", ctx =>
            ctx.ForEach(ctx.Family("customers"), (k, v, w) => { }));
        using (var db = Migrate(path, MigrationSteps.RenameFamily("accounts", 1, 2, "customers"), after))
        {
            Assert.False(db.TryGetColumnFamily("accounts", out _));
            var customers = db.GetColumnFamily("customers");
            Assert.Equal(before, TestDb.Contents(db, customers));
            Assert.Equal(3, db.GetSchemaVersion(customers));
        }
        // Reopening with the same list: the rename is recognised as done.
        using (var db = Migrate(path, MigrationSteps.RenameFamily("accounts", 1, 2, "customers"), after))
            Assert.Equal(before, TestDb.Contents(db, db.GetColumnFamily("customers")));
    }

    [Fact]
    public void TransformValues_NullResult_DeletesTheEntry()
    {
        using var dir = new TempDir();
        string path = dir.Sub("db");
        Ledger.Create(path, 100);
        using var db = Migrate(path, MigrationSteps.TransformValues("accounts", 1, 2, (k, v) => k[^1] == (byte)'0' ? null : Ledger.Split(v)));
        var contents = TestDb.Contents(db, db.GetColumnFamily("accounts"));
        Assert.Equal(90, contents.Count);
        Assert.Null(db.Get(db.GetColumnFamily("accounts"), Ledger.Key(10)));
        Assert.Equal(Ledger.V2(11), db.Get(db.GetColumnFamily("accounts"), Ledger.Key(11)));
    }

    [Fact]
    public void AddIndexThenDropIndex_BuildsOnlineAndDrops()
    {
        using var dir = new TempDir();
        string path = dir.Sub("db");
        Ledger.Create(path, 800);
        var definition = new IndexDefinition { Name = "by-balance", Extractor = IndexExtractors.ValueBytes(0, 5) };
        using (var db = Migrate(path, MigrationSteps.AddIndex("accounts", 1, 2, definition)))
        {
            var index = db.GetIndex("by-balance");
            Assert.Equal(IndexState.Ready, index.State);
            using var it = db.QueryIndexPrefix(index, "name="u8);
            int n = 0;
            for (it.SeekToFirst(); it.Valid; it.Next()) n++;
            Assert.Equal(800, n);
        }
        using (var db = Migrate(path, MigrationSteps.AddIndex("accounts", 1, 2, definition), MigrationSteps.DropIndex("accounts", 2, 3, "by-balance")))
        {
            Assert.Empty(db.ListIndexes());
            Assert.Equal(3, db.GetSchemaVersion(db.GetColumnFamily("accounts")));
        }
    }

    [Fact]
    public void AddIndex_UniqueBrokenByData_RollsBack()
    {
        using var dir = new TempDir();
        string path = dir.Sub("db");
        Ledger.Create(path, 50);
        var definition = new IndexDefinition { Name = "unique-prefix", Extractor = IndexExtractors.ValueBytes(0, 5), Unique = true };
        var ex = Assert.Throws<MigrationException>(() => Migrate(path, MigrationSteps.AddIndex("accounts", 1, 2, definition)));
        Assert.IsType<InvalidArgumentException>(ex.InnerException);
        using var db = LatticeDb.Open(path);
        Assert.Empty(db.ListIndexes());
        Assert.Equal(1, db.GetSchemaVersion(db.GetColumnFamily("accounts")));
    }
}
