using LatticeKV.Integrity;
using LatticeKV.Io;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Integrity;

/// <summary>The sync apply's judge: a reason or null, never an exception.</summary>
public sealed class RemoteChangeValidationTests
{
    private sealed class NoZeroByte : IValueValidator
    {
        public bool TryValidate(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, out string? reason)
        {
            reason = value.Contains((byte)0) ? "zero byte" : null;
            return reason is null;
        }
    }

    [Fact]
    public void Rejection_JudgesWithTheFamilysValidator_WithoutThrowing()
    {
        var fs = new MemFileSystem();
        using var db = LatticeDb.Open(DbPath, MemOptions(fs));
        var plain = db.CreateColumnFamily("plain");
        var json = db.CreateColumnFamily("json", new ColumnFamilyOptions { Validator = ValueValidators.Json });
        var throwing = db.CreateColumnFamily("throwing", new ColumnFamilyOptions { Validator = ValueValidators.FromDelegate("t", (_, _) => throw new InvalidOperationException("x")) });
        Assert.Null(RemoteChangeValidation.Rejection(plain.Data, "k"u8, "anything"u8));
        Assert.Null(RemoteChangeValidation.Rejection(json.Data, "k"u8, "{}"u8));
        Assert.StartsWith("value is not well-formed JSON", RemoteChangeValidation.Rejection(json.Data, "k"u8, "{"u8));
        Assert.StartsWith("the validator threw InvalidOperationException", RemoteChangeValidation.Rejection(throwing.Data, "k"u8, "v"u8));
    }

    [Fact]
    public void CustomClass_StoredByName_RefusesWritesWhenNotGivenAgain()
    {
        var fs = new MemFileSystem();
        using (var db = LatticeDb.Open(DbPath, MemOptions(fs)))
        {
            var cf = db.CreateColumnFamily("cf", new ColumnFamilyOptions { Validator = new NoZeroByte() });
            Assert.Throws<ValidationException>(() => db.Put(cf, B("k"), [1, 0, 2]));
            db.Put(cf, B("k"), [1, 2]);
        }
        using (var db = LatticeDb.Open(DbPath, MemOptions(fs)))
        {
            var cf = db.GetColumnFamily("cf");
            Assert.Contains(typeof(NoZeroByte).FullName!, cf.Data.Options.StoredValidator, StringComparison.Ordinal);
            Assert.Contains("validator class", RemoteChangeValidation.Rejection(cf.Data, "k"u8, [1]));
        }
    }
}
