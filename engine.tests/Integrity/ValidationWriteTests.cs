using System.Text;
using LatticeKV.Io;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Integrity;

/// <summary>Validators on the write path: a refusal leaves nothing of its batch or transaction, merged values are judged, and the stored validator outlives the program's options.</summary>
public sealed class ValidationWriteTests
{
    private static readonly IValueValidator EvenLength = ValueValidators.FromDelegate("even-length", (_, value) => value.Length % 2 == 0 ? null : "odd length");

    private static readonly IValueValidator NonNegative = ValueValidators.FromDelegate("non-negative",
        (_, value) => value.Length == 8 && BitConverter.ToInt64(value) >= 0 ? null : "balance must not be negative");

    private static LatticeDb OpenWith(MemFileSystem fs, string family, ColumnFamilyOptions? options, out ColumnFamilyHandle cf)
    {
        var db = LatticeDb.Open(DbPath, MemOptions(fs, o => { if (options is not null) o.ColumnFamilyOptions[family] = options; }));
        cf = db.TryGetColumnFamily(family, out var found) ? found : db.CreateColumnFamily(family, options);
        return db;
    }

    [Fact]
    public void Batch_ValidAndInvalidPut_NeitherIsWritten_AlsoAfterReopen()
    {
        var fs = new MemFileSystem();
        using (var db = OpenWith(fs, "accounts", new ColumnFamilyOptions { Validator = ValueValidators.Json }, out var accounts))
        {
            var batch = new WriteBatch();
            batch.Put(accounts, B("acc/alice"), B("""{"balance":1}"""));
            batch.Put(db.DefaultColumnFamily, B("other"), B("x"));
            batch.Put(accounts, B("acc/bob"), B("{broken"));
            var ex = Assert.Throws<ValidationException>(() => db.Write(batch));
            Assert.Equal("accounts", ex.ColumnFamily);
            Assert.Equal(B("acc/bob"), ex.Key);
            Assert.StartsWith("value is not well-formed JSON", ex.Reason);
            Assert.Contains("'acc/bob'", ex.Message, StringComparison.Ordinal);
            Assert.Null(db.Get(accounts, B("acc/alice")));
            Assert.Null(db.Get(B("other")));
        }
        using (var db = OpenWith(fs, "accounts", null, out var accounts))
        {
            Assert.Empty(Contents(db, accounts));
            Assert.Null(db.Get(B("other")));
        }
    }

    [Fact]
    public void PutAndDelete_ValidPutsPass_DeletesAreNotJudged()
    {
        var fs = new MemFileSystem();
        using var db = OpenWith(fs, "cf", new ColumnFamilyOptions { Validator = EvenLength }, out var cf);
        db.Put(cf, B("a"), B("ok"));
        Assert.Throws<ValidationException>(() => db.Put(cf, B("b"), B("odd")));
        db.Delete(cf, B("a"));
        db.DeleteRange(cf, B("a"), B("z"));
        Assert.Empty(Contents(db, cf));
        db.Put(B("default-is-not-validated"), B("odd"));
        Assert.Equal("odd", S(db.Get(B("default-is-not-validated"))));
    }

    [Fact]
    public void Transaction_PutRefusedAtOnce_TransactionStaysActive()
    {
        var fs = new MemFileSystem();
        using var db = OpenWith(fs, "cf", new ColumnFamilyOptions { Validator = EvenLength }, out var cf);
        using var txn = db.BeginTransaction();
        txn.Put(cf, B("a"), B("ok"));
        Assert.Throws<ValidationException>(() => txn.Put(cf, B("b"), B("odd")));
        Assert.Equal(TransactionState.Active, txn.State);
        Assert.Null(txn.Get(cf, B("b")));
        txn.Commit();
        Assert.Equal("ok", S(db.Get(cf, B("a"))));
        Assert.Null(db.Get(cf, B("b")));
    }

    [Fact]
    public void Merge_IntoValidatedFamily_ResultIsJudged()
    {
        var fs = new MemFileSystem();
        var options = new ColumnFamilyOptions { MergeOperator = MergeOperators.Int64Add, Validator = NonNegative };
        using var db = OpenWith(fs, "balances", options, out var balances);
        db.Merge(balances, B("alice"), BitConverter.GetBytes(100L));
        db.Merge(balances, B("alice"), BitConverter.GetBytes(-30L));
        var ex = Assert.Throws<ValidationException>(() => db.Merge(balances, B("alice"), BitConverter.GetBytes(-71L)));
        Assert.Contains("the value the merge produces is refused: balance must not be negative", ex.Reason, StringComparison.Ordinal);
        Assert.Equal(70L, BitConverter.ToInt64(db.Get(balances, B("alice"))));
        Assert.Throws<ValidationException>(() => db.Merge(balances, B("nobody"), BitConverter.GetBytes(-1L)));
        Assert.Null(db.Get(balances, B("nobody")));

        // The batch's own operations come first: a put then merges, a deletion then a merge.
        var batch = new WriteBatch();
        batch.Put(balances, B("bob"), BitConverter.GetBytes(5L));
        batch.Merge(balances, B("bob"), BitConverter.GetBytes(-5L));
        batch.Delete(balances, B("alice"));
        batch.Merge(balances, B("alice"), BitConverter.GetBytes(3L));
        db.Write(batch);
        Assert.Equal(0L, BitConverter.ToInt64(db.Get(balances, B("bob"))));
        Assert.Equal(3L, BitConverter.ToInt64(db.Get(balances, B("alice"))));

        var refused = new WriteBatch();
        refused.Merge(balances, B("alice"), BitConverter.GetBytes(10L));
        refused.DeleteRange(balances, B("a"), B("b"));
        refused.Merge(balances, B("alice"), BitConverter.GetBytes(-1L)); // over nothing after the range deletion
        refused.Put(balances, B("carol"), BitConverter.GetBytes(1L));
        Assert.Throws<ValidationException>(() => db.Write(refused));
        Assert.Equal(3L, BitConverter.ToInt64(db.Get(balances, B("alice"))));
        Assert.Null(db.Get(balances, B("carol")));
    }

    [Fact]
    public void Transaction_CommitWithRefusedMerge_RollsBackAndWritesNothing()
    {
        var fs = new MemFileSystem();
        var options = new ColumnFamilyOptions { MergeOperator = MergeOperators.Int64Add, Validator = NonNegative };
        using var db = OpenWith(fs, "balances", options, out var balances);
        db.Put(balances, B("alice"), BitConverter.GetBytes(10L));
        using var txn = db.BeginTransaction();
        txn.Put(balances, B("bob"), BitConverter.GetBytes(1L));
        txn.Merge(balances, B("alice"), BitConverter.GetBytes(-20L));
        var ex = Assert.Throws<ValidationException>(() => txn.Commit());
        Assert.Equal(B("alice"), ex.Key);
        Assert.Equal(TransactionState.RolledBack, txn.State);
        Assert.Throws<TransactionNotActiveException>(() => txn.Put(balances, B("x"), BitConverter.GetBytes(1L)));
        Assert.Null(db.Get(balances, B("bob")));
        Assert.Equal(10L, BitConverter.ToInt64(db.Get(balances, B("alice"))));
    }

    [Fact]
    public void EncryptedFamily_MessageQuotesNeitherKeyNorValue()
    {
        var fs = new MemFileSystem();
        var options = MemOptions(fs, o => o.Encryption = EncryptionOptions.FromKey(new byte[32]));
        using var db = LatticeDb.Open(DbPath, options);
        var schema = """{"type":"object","properties":{"balance":{"type":"integer","minimum":0}}}""";
        var cf = db.CreateColumnFamily("vault", new ColumnFamilyOptions
        {
            Encrypted = true,
            Validator = ValueValidators.All(ValueValidators.KeyPattern("^acc/"), ValueValidators.JsonSchema(schema)),
        });
        var messages = new List<string>();
        messages.Add(Assert.Throws<ValidationException>(() => db.Put(cf, B("acc/SECRETKEY"), B("""{"balance":-424242,"SECRETFIELD":1}"""))).Message);
        messages.Add(Assert.Throws<ValidationException>(() => db.Put(cf, B("SECRETKEY2"), B("{}"))).Message);
        messages.Add(Assert.Throws<ValidationException>(() => db.Put(cf, B("acc/SECRETKEY3"), B("SECRETVALUE"))).Message);
        foreach (var m in messages)
        {
            Assert.Contains("vault", m, StringComparison.Ordinal);
            Assert.Contains("not shown", m, StringComparison.Ordinal);
            foreach (var leak in new[] { "SECRET", "424242" }) Assert.DoesNotContain(leak, m, StringComparison.Ordinal);
        }
        Assert.Empty(Contents(db, cf));
    }

    [Fact]
    public void TtlFamily_JudgesTheUserValueNotTheStoredWrapper()
    {
        var fs = new MemFileSystem();
        using var db = OpenWith(fs, "sessions", new ColumnFamilyOptions { Ttl = TimeSpan.FromHours(1), Validator = ValueValidators.Json }, out var cf);
        db.Put(cf, B("s1"), B("""{"user":"alice"}"""));
        db.Flush();
        Assert.Equal("""{"user":"alice"}""", S(db.Get(cf, B("s1"))));
        Assert.Empty(db.ValidateExisting(cf));
        Assert.Throws<ValidationException>(() => db.Put(cf, B("s2"), B("not json")));
    }

    [Fact]
    public void StoredValidator_SurvivesReopenWithoutOptions_AndShowsInOptionsFile()
    {
        var fs = new MemFileSystem();
        var schema = ValueValidators.JsonSchema("""{"type":"object","required":["owner"]}""");
        using (var db = OpenWith(fs, "accounts", null, out _)) db.CreateColumnFamily("with", new ColumnFamilyOptions { Validator = schema });
        using (var db = LatticeDb.Open(DbPath, MemOptions(fs)))
        {
            var cf = db.GetColumnFamily("with");
            db.Put(cf, B("a"), B("""{"owner":"alice"}"""));
            Assert.Throws<ValidationException>(() => db.Put(cf, B("b"), B("{}")));
        }
        // Options given for the family, Validator left unset: the stored one is kept.
        using (var db = LatticeDb.Open(DbPath, MemOptions(fs, o => o.ColumnFamilyOptions["with"] = new ColumnFamilyOptions { BlockSize = 8192 })))
            Assert.Throws<ValidationException>(() => db.Put(db.GetColumnFamily("with"), B("b"), B("{}")));
        string options = string.Join("\n", fs.ListFiles(DbPath).Where(n => n.StartsWith("OPTIONS-", StringComparison.Ordinal))
            .Select(n => Encoding.UTF8.GetString(fs.ReadAllBytes(DbPath + "/" + n))));
        Assert.Contains("""validator={"kind":"json_schema","schema":""", options, StringComparison.Ordinal);
    }

    [Fact]
    public void ProgramsValidator_ReplacesTheStoredOne_AndNullRemovesIt()
    {
        var fs = new MemFileSystem();
        using (var db = OpenWith(fs, "cf", new ColumnFamilyOptions { Validator = ValueValidators.ValueLength(0, 3) }, out var cf))
            Assert.Throws<ValidationException>(() => db.Put(cf, B("k"), B("long")));
        using (var db = OpenWith(fs, "cf", new ColumnFamilyOptions { Validator = ValueValidators.ValueLength(4, 10) }, out var cf))
        {
            db.Put(cf, B("k"), B("long"));
            Assert.Throws<ValidationException>(() => db.Put(cf, B("k"), B("abc")));
        }
        using (var db = OpenWith(fs, "cf", null, out var cf))
            Assert.Throws<ValidationException>(() => db.Put(cf, B("k"), B("abc"))); // the replacement was stored
        using (var db = OpenWith(fs, "cf", new ColumnFamilyOptions { Validator = null }, out var cf)) db.Put(cf, B("k"), B("abc"));
        using (var db = OpenWith(fs, "cf", null, out var cf))
        {
            db.Put(cf, B("k"), B("anything at all"));
            Assert.Throws<InvalidArgumentException>(() => db.ValidateExisting(cf));
        }
    }

    [Fact]
    public void DelegateNotGivenAtReopen_FamilyReadsButRefusesWrites()
    {
        var fs = new MemFileSystem();
        using (var db = OpenWith(fs, "cf", new ColumnFamilyOptions { Validator = EvenLength }, out var cf)) db.Put(cf, B("k"), B("ok"));
        using (var db = OpenWith(fs, "cf", null, out var cf))
        {
            Assert.Equal("ok", S(db.Get(cf, B("k"))));
            var ex = Assert.Throws<ValidationException>(() => db.Put(cf, B("k"), B("ok")));
            Assert.Contains("delegate 'even-length'", ex.Reason, StringComparison.Ordinal);
            Assert.Throws<InvalidArgumentException>(() => db.ValidateExisting(cf));
            Assert.Empty(db.ValidateExisting(cf, EvenLength));
        }
        using (var db = OpenWith(fs, "cf", new ColumnFamilyOptions { Validator = EvenLength }, out var cf)) db.Put(cf, B("k"), B("okok"));
    }

    [Fact]
    public void DatabaseWithoutValidators_StoresNoDescription()
    {
        var fs = new MemFileSystem();
        using (var db = OpenWith(fs, "cf", new ColumnFamilyOptions(), out var cf)) db.Put(cf, B("k"), B("v"));
        using var reopened = OpenWith(fs, "cf", null, out var again);
        Assert.Null(again.Data.Options.StoredValidator);
        Assert.Null(again.Data.Options.EnforcedValidator);
        Assert.Equal("v", S(reopened.Get(again, B("k"))));
    }
}
