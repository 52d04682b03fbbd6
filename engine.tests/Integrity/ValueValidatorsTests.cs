using System.Diagnostics;
using System.Text;
using LatticeKV.Integrity;

namespace LatticeKV.Tests.Integrity;

/// <summary>The built-in validators accept and refuse what they should, store and rebuild their descriptions, and keep encrypted families' values out of their reasons.</summary>
public sealed class ValueValidatorsTests
{
    private const string AccountSchema = """
        {"type":"object","required":["owner","balance"],
         "properties":{"owner":{"type":"string","minLength":1},"balance":{"type":"integer","minimum":0}},
         "additionalProperties":false}
        """;

    private static string? Judge(IValueValidator v, string key, string value, bool confidential = false)
        => ValidatorRun.Rejection(v, Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(value), confidential);

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"a":[1,2.5,true,null,"x\u00e9"]}""")]
    [InlineData("42")]
    [InlineData(" \"text\" ")]
    public void Json_WellFormed_Accepts(string value) => Assert.Null(Judge(ValueValidators.Json, "k", value));

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("{\"a\":1,}")]
    [InlineData("{} {}")]
    [InlineData("SECRET")]
    [InlineData("[1, SECRET]")]
    public void Json_Malformed_RefusedWithoutQuotingTheValue(string value)
    {
        var reason = Judge(ValueValidators.Json, "k", value);
        Assert.NotNull(reason);
        Assert.StartsWith("value is not well-formed JSON", reason);
        Assert.DoesNotContain("SECRET", reason, StringComparison.Ordinal);
        Assert.DoesNotContain("'S'", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_InvalidUtf8InAString_Refused()
        => Assert.Equal("value is not valid UTF-8", ValidatorRun.Rejection(ValueValidators.Json, "k"u8, [(byte)'"', 0xC3, 0x28, (byte)'"'], false));

    [Fact]
    public void Json_Accepting_AllocatesNothing()
    {
        var value = """{"owner":"alice","balance":10,"tags":["a","b"]}"""u8.ToArray();
        var v = ValueValidators.Json;
        Assert.True(v.TryValidate("k"u8, value, out _));
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) v.TryValidate("k"u8, value, out _);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void JsonSchema_AcceptsValidAndRefusesInvalid()
    {
        var v = ValueValidators.JsonSchema(AccountSchema);
        Assert.Null(Judge(v, "acc/alice", """{"owner":"alice","balance":10}"""));
        var reason = Judge(v, "acc/alice", """{"owner":"alice","balance":-777}""");
        Assert.NotNull(reason);
        Assert.Contains("/balance", reason, StringComparison.Ordinal);
        Assert.NotNull(Judge(v, "acc/alice", """{"owner":"alice"}"""));
        Assert.StartsWith("value is not well-formed JSON", Judge(v, "acc/alice", "{owner"));
    }

    [Fact]
    public void JsonSchema_Confidential_ReasonNamesTheSchemaNotTheValue()
    {
        var v = ValueValidators.JsonSchema(AccountSchema);
        var plain = Judge(v, "k", """{"owner":"alice","balance":-777,"SECRETFIELD":"SECRETVALUE"}""");
        Assert.Contains("-777", plain, StringComparison.Ordinal); // the library quotes values: why confidential reasons are worded apart
        var hidden = Judge(v, "k", """{"owner":"alice","balance":-777,"SECRETFIELD":"SECRETVALUE"}""", confidential: true);
        Assert.NotNull(hidden);
        Assert.Contains("minimum", hidden, StringComparison.Ordinal);
        foreach (var leak in new[] { "-777", "SECRET", "alice" }) Assert.DoesNotContain(leak, hidden, StringComparison.Ordinal);
    }

    [Fact]
    public void JsonSchema_InvalidSchema_Throws()
        => Assert.Throws<InvalidArgumentException>(() => ValueValidators.JsonSchema("{not json"));

    [Fact]
    public void Lengths_BoundsIncluded()
    {
        var key = ValueValidators.KeyLength(2, 4);
        Assert.Null(Judge(key, "ab", "x"));
        Assert.Null(Judge(key, "abcd", ""));
        Assert.Equal("key is 1 bytes long, outside 2..4", Judge(key, "a", "x"));
        Assert.NotNull(Judge(key, "abcde", "x"));
        var value = ValueValidators.ValueLength(0, 3);
        Assert.Null(Judge(value, "anything long", ""));
        Assert.Equal("value is 4 bytes long, outside 0..3", Judge(value, "k", "SECR"));
        Assert.Throws<InvalidArgumentException>(() => ValueValidators.KeyLength(5, 4));
    }

    [Fact]
    public void Patterns_MatchKeyOrValueText()
    {
        var key = ValueValidators.KeyPattern("^acc/[a-z]+$");
        Assert.Null(Judge(key, "acc/alice", "whatever"));
        Assert.Equal("key does not match the pattern ^acc/[a-z]+$", Judge(key, "acc/Alice", "x"));
        Assert.Equal("key is not valid UTF-8 text", ValidatorRun.Rejection(key, [0xFF, 0xFE], "x"u8, false));
        var value = ValueValidators.ValuePattern(@"^\d+$");
        Assert.Null(Judge(value, "k", new string('7', 1000))); // past the stack buffer
        Assert.NotNull(Judge(value, "k", "12a"));
        Assert.Throws<InvalidArgumentException>(() => ValueValidators.KeyPattern("(unclosed"));
    }

    [Fact]
    public void Pattern_Pathological_RefusedAtTheTimeout()
    {
        var v = ValueValidators.ValuePattern("^(a+)+$", TimeSpan.FromMilliseconds(50));
        var sw = Stopwatch.StartNew();
        var reason = Judge(v, "k", new string('a', 40) + "!");
        sw.Stop();
        Assert.NotNull(reason);
        Assert.Contains("timeout", reason, StringComparison.Ordinal);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"took {sw.Elapsed}");
    }

    [Fact]
    public void Delegate_AndAll_FirstRefusalWins()
    {
        var even = ValueValidators.FromDelegate("even-length", (_, value) => value.Length % 2 == 0 ? null : "odd length");
        var all = ValueValidators.All(ValueValidators.KeyLength(1, 3), even);
        Assert.Null(Judge(all, "k", "ab"));
        Assert.Equal("odd length", Judge(all, "k", "abc"));
        Assert.StartsWith("key is", Judge(all, "kkkk", "abc"));
        Assert.Throws<InvalidArgumentException>(() => ValueValidators.FromDelegate(" ", (_, _) => null));
    }

    [Fact]
    public void Throwing_Validator_RefusesWithoutQuotingWhenConfidential()
    {
        var v = ValueValidators.FromDelegate("boom", (_, _) => throw new InvalidOperationException("SECRET"));
        Assert.Contains("SECRET", Judge(v, "k", "v"), StringComparison.Ordinal);
        Assert.Equal("the validator threw InvalidOperationException", Judge(v, "k", "v", confidential: true));
    }

    [Fact]
    public void Descriptions_RoundTrip_AndDelegatesComeBackMissing()
    {
        var original = ValueValidators.All(
            ValueValidators.Json, ValueValidators.JsonSchema(AccountSchema), ValueValidators.KeyLength(1, 64), ValueValidators.ValueLength(2, 4096),
            ValueValidators.KeyPattern("^acc/\n[a-z]+$", TimeSpan.FromMilliseconds(250)), ValueValidators.ValuePattern("balance"),
            ValueValidators.FromDelegate("ledger.positive", (_, _) => null));
        string description = ValidatorCodec.Describe(original);
        Assert.DoesNotContain('\n', description);
        var rebuilt = ValidatorCodec.Build(description);
        Assert.Equal(description, ValidatorCodec.Describe(rebuilt));
        var missing = Assert.Single(ValidatorCodec.Missing(rebuilt));
        Assert.Equal("delegate 'ledger.positive'", missing.What);
        Assert.Contains("not given", Judge(rebuilt, "acc/\nbob", """{"owner":"bob","balance":1}"""), StringComparison.Ordinal);
        Assert.Throws<CorruptionException>(() => ValidatorCodec.Build("{\"kind\":"));
    }

    [Fact]
    public void Description_OfAnUnknownKind_RefusesEverything()
    {
        var rebuilt = ValidatorCodec.Build("""{"kind":"from_the_future","x":1}""");
        Assert.Contains("from_the_future", Judge(rebuilt, "k", "v"), StringComparison.Ordinal);
        Assert.Equal("""{"kind":"from_the_future","x":1}""", ValidatorCodec.Describe(rebuilt));
    }
}
