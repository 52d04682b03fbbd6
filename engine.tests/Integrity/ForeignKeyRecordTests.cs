using LatticeKV.Integrity;

namespace LatticeKV.Tests.Integrity;

/// <summary>The stored foreign key record (FORMAT.md §18.2): the worked example, and damage refused.</summary>
public sealed class ForeignKeyRecordTests
{
    private const string WorkedExample = "01 01 00 02 01 01 09 24 2E 61 63 63 6F 75 6E 74";

    [Fact]
    public void Encode_FormatExample_MatchesFormatMd()
    {
        var record = new ForeignKeyRecord("transaction-account", ForeignKeyState.Enforced, ForeignKeyAction.Restrict, 2, 1, IndexExtractors.JsonField("$.account"));
        Assert.Equal(WorkedExample, Convert.ToHexString(record.Encode()).Chunk(2).Select(c => new string(c)).Aggregate((a, b) => a + " " + b));
        var decoded = ForeignKeyRecord.Decode("transaction-account", record.Encode(), new Dictionary<string, IndexExtractor>());
        Assert.Equal((ForeignKeyState.Enforced, ForeignKeyAction.Restrict, 2u, 1u), (decoded.State, decoded.OnDelete, decoded.ChildFamilyId, decoded.ParentFamilyId));
    }

    [Theory]
    [InlineData("02 01 00 02 01 01 09 24 2E 61 63 63 6F 75 6E 74")]   // unknown version
    [InlineData("01 07 00 02 01 01 09 24 2E 61 63 63 6F 75 6E 74")]   // unknown state
    [InlineData("01 01 05 02 01 01 09 24 2E 61 63 63 6F 75 6E 74")]   // unknown action
    [InlineData("01 01 00 02 01 01 09 24 2E 61 63 63 6F 75 6E 74 00")] // trailing byte
    [InlineData("01 01 00 02 01 05 00")]                                // text extractor
    [InlineData("01 01 00 02")]                                         // truncated
    public void Decode_Damaged_ThrowsCorruptionNamingTheKey(string hex)
    {
        var ex = Assert.Throws<CorruptionException>(() => ForeignKeyRecord.Decode("fk1", Convert.FromHexString(hex.Replace(" ", "")), new Dictionary<string, IndexExtractor>()));
        Assert.Contains("'fk1'", ex.Message);
    }
}
