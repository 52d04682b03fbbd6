using LatticeKV.Migrations;

namespace LatticeKV.Tests.Migrations;

public sealed class MigrationPlanTests
{
    private static Migration Step(string family, int from, int to, string? name = null) => new(family, from, to, name ?? $"{family}{from}-{to}", _ => { });

    [Fact]
    public void Validate_ChainPerFamily_Accepted()
    {
        MigrationPlan.Validate([Step("a", 0, 1), Step("b", 3, 4), Step("a", 1, 2), Step("b", 4, 6)]);
    }

    [Theory]
    [InlineData(2, "a gap")]
    [InlineData(0, "an overlap")]
    public void Validate_BrokenChain_ThrowsInvalidArgument(int secondFrom, string kind)
    {
        var ex = Assert.Throws<InvalidArgumentException>(() => MigrationPlan.Validate([Step("a", 0, 1), Step("a", secondFrom, 5)]));
        Assert.Contains(kind, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RepeatedName_ThrowsInvalidArgument()
        => Assert.Throws<InvalidArgumentException>(() => MigrationPlan.Validate([Step("a", 0, 1, "x"), Step("b", 0, 1, "x")]));

    [Fact]
    public void Constructor_ToNotAboveFrom_ThrowsInvalidArgument()
        => Assert.Throws<InvalidArgumentException>(() => new Migration("a", 2, 2, "same", _ => { }));

    [Fact]
    public void Validate_StepsAfterRename_ChainOnNewName()
    {
        var rename = MigrationSteps.RenameFamily("a", 1, 2, "b");
        MigrationPlan.Validate([Step("a", 0, 1), rename, Step("b", 2, 3)]);
        Assert.Throws<InvalidArgumentException>(() => MigrationPlan.Validate([Step("a", 0, 1), rename, Step("b", 1, 3)]));
    }

    [Fact]
    public void Pending_StoredMidChain_ReturnsRemainingStepsInOrder()
    {
        var steps = new[] { Step("a", 0, 1), Step("b", 0, 1), Step("a", 1, 2), Step("a", 2, 3) };
        var pending = MigrationPlan.Pending(steps, new Dictionary<string, int> { ["a"] = 1, ["b"] = 1 });
        Assert.Equal(["a1-2", "a2-3"], pending.Select(s => s.Name));
    }

    [Fact]
    public void Pending_StoredNewerThanKnown_ThrowsSchemaVersionException()
    {
        var ex = Assert.Throws<SchemaVersionException>(() => MigrationPlan.Pending([Step("a", 0, 1)], new Dictionary<string, int> { ["a"] = 4 }));
        Assert.Equal(("a", 4, 1), (ex.ColumnFamily, ex.StoredVersion, ex.KnownVersion));
    }

    [Fact]
    public void Pending_StoredBelowFirstStep_ThrowsInvalidArgument()
        => Assert.Throws<InvalidArgumentException>(() => MigrationPlan.Pending([Step("a", 2, 3)], new Dictionary<string, int> { ["a"] = 1 }));

    [Fact]
    public void Pending_CommittedRename_SkipsItAndContinuesOnNewName()
    {
        var steps = new[] { Step("a", 0, 1), MigrationSteps.RenameFamily("a", 1, 2, "b"), Step("b", 2, 3) };
        var pending = MigrationPlan.Pending(steps, new Dictionary<string, int> { ["b"] = 2 });
        Assert.Equal(["b2-3"], pending.Select(s => s.Name));
    }

    [Fact]
    public void StateCodec_RoundTrips_AndRejectsDamage()
    {
        var state = new MigrationProgress("split name", MigrationPhase.Publish, 3, [1, 2, 3], 12345);
        var encoded = MigrationStateCodec.Encode(state);
        var decoded = MigrationStateCodec.Decode(encoded);
        Assert.Equal((state.StepName, state.Phase, state.Pass, state.EntriesDone), (decoded.StepName, decoded.Phase, decoded.Pass, decoded.EntriesDone));
        Assert.Equal(state.Position, decoded.Position);
        Assert.Null(MigrationStateCodec.Decode(MigrationStateCodec.Encode(state with { Position = null })).Position);
        Assert.Throws<CorruptionException>(() => MigrationStateCodec.Decode(encoded.AsSpan(0, encoded.Length - 1)));
        encoded[1] = 9;
        Assert.Throws<CorruptionException>(() => MigrationStateCodec.Decode(encoded));
    }

    [Fact]
    public void StateCodec_MatchesFormatWorkedExample()
    {
        var state = new MigrationProgress("split name", MigrationPhase.Apply, 0, "account/0001999"u8.ToArray(), 2000);
        Assert.Equal("010100000000d0070000000000000a0073706c6974206e616d65010f0000006163636f756e742f30303031393939",
            Convert.ToHexStringLower(MigrationStateCodec.Encode(state)));
    }
}
