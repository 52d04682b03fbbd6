using System.Text;
using System.Text.Json;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Tool;

/// <summary><c>lkv get|put|delete|scan</c> run as a process against databases the engine made.</summary>
public sealed class LkvKeyValueTests(KnownDatabase known) : IClassFixture<KnownDatabase>
{
    internal static void AssertUserError(LkvResult r, int code)
    {
        Assert.True(code == r.ExitCode, r.ToString());
        Assert.StartsWith("lkv: ", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.Stderr, StringComparison.Ordinal); // no stack trace for a user error
    }

    [Fact]
    public void Get_PrintsTheValueInEachFormat()
    {
        var (key, value) = known.Expected[10];
        string k = Encoding.UTF8.GetString(key);
        var text = Lkv.Run("get", known.Path, k);
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Equal(Encoding.UTF8.GetString(value) + "\n", text.Stdout);

        var hex = Lkv.Run("get", known.Path, "0x" + Convert.ToHexString(key), "--format", "hex");
        Assert.Equal("0x" + Convert.ToHexStringLower(value) + "\n", hex.Stdout);

        var b64 = Lkv.Run("get", known.Path, Convert.ToBase64String(key), "--format", "base64");
        Assert.Equal(Convert.ToBase64String(value) + "\n", b64.Stdout);

        var mixed = Lkv.Run("get", known.Path, k, "--value-format", "hex");
        Assert.Equal("0x" + Convert.ToHexStringLower(value) + "\n", mixed.Stdout);
    }

    [Fact]
    public void Get_BinaryKeyInAColumnFamily_AutoFormatShowsHex()
    {
        var (key, value) = known.ExpectedLedger[5];
        var r = Lkv.Run("get", known.Path, "0x" + Convert.ToHexString(key), "--cf", "ledger");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("0x" + Convert.ToHexStringLower(value) + "\n", r.Stdout);
    }

    [Fact]
    public void Get_ErrorPaths_HaveTheirExitCodes()
    {
        AssertUserError(Lkv.Run("get", known.Path, "no-such-key"), 1);
        AssertUserError(Lkv.Run("get", known.Path, "acct/00010", "--cf", "nope"), 5);
        using var dir = new TempDir("lkv-get");
        AssertUserError(Lkv.Run("get", dir.Sub("missing"), "k"), 3);
        AssertUserError(Lkv.Run("get", dir.Path, "k"), 3); // an empty directory is not a database
        AssertUserError(Lkv.Run("get", known.Path, "0xzz"), 2);
        AssertUserError(Lkv.Run("get", known.Path, "!!", "--format", "base64"), 2);
        AssertUserError(Lkv.Run("get", known.Path), 2);
        AssertUserError(Lkv.Run("get", known.Path, "k", "--bogus"), 2);
        AssertUserError(Lkv.Run("get", known.Path, "k", "--format", "octal"), 2);
        Assert.False(Directory.Exists(dir.Sub("missing")), "a read must not create a database");
    }

    [Fact]
    public void Get_WhileTheDatabaseIsOpen_ExitsLocked()
    {
        using var dir = new TempDir("lkv-locked");
        string path = known.CopyTo(dir);
        using var db = LatticeDb.Open(path);
        AssertUserError(Lkv.Run("get", path, "acct/00010"), 4);
    }

    [Fact]
    public void PutDeleteAndRangeDelete_ChangeWhatTheEngineReads()
    {
        using var dir = new TempDir("lkv-put");
        string path = dir.Sub("new");
        AssertUserError(Lkv.Run("put", path, "a", "1"), 3); // no --create: nothing is created
        Assert.Equal(0, Lkv.Run("put", path, "a", "1", "--create").ExitCode);
        Assert.Equal(0, Lkv.Run("put", path, "0x00ff", "0xdeadbeef", "--sync").ExitCode);
        Assert.Equal(0, Lkv.Run(["put", path, "blob", "-"], Encoding.UTF8.GetBytes("from\nstdin")).ExitCode);
        foreach (var k in new[] { "r1", "r2", "r3", "s1" }) Assert.Equal(0, Lkv.Run("put", path, k, "x").ExitCode);
        Assert.Equal(0, Lkv.Run("delete", path, "a").ExitCode);
        Assert.Equal(0, Lkv.Run("delete", path, "--from", "r2", "--to", "s1").ExitCode);
        AssertUserError(Lkv.Run("delete", path, "--from", "r2"), 2);
        AssertUserError(Lkv.Run("delete", path, "k", "--from", "a", "--to", "b"), 2);
        AssertUserError(Lkv.Run("put", path, "k", "v", "--cf", "nope"), 5);

        using var db = LatticeDb.Open(path, new DbOptions { CreateIfMissing = false });
        Assert.Null(db.Get("a"u8));
        Assert.Equal([0xDE, 0xAD, 0xBE, 0xEF], db.Get([0x00, 0xFF]));
        Assert.Equal("from\nstdin"u8.ToArray(), db.Get("blob"u8));
        Assert.NotNull(db.Get("r1"u8));
        Assert.Null(db.Get("r2"u8));
        Assert.Null(db.Get("r3"u8));
        Assert.NotNull(db.Get("s1"u8));
    }

    [Fact]
    public void Scan_JsonLines_MatchTheEngineInOrder()
    {
        var r = Lkv.Run("scan", known.Path, "--json", "--format", "hex");
        Assert.True(r.ExitCode == 0, r.ToString());
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(known.Expected.Count, lines.Length);
        for (int i = 0; i < lines.Length; i++)
        {
            using var doc = JsonDocument.Parse(lines[i]);
            Assert.Equal("0x" + Convert.ToHexStringLower(known.Expected[i].Key), doc.RootElement.GetProperty("key").GetString());
            Assert.Equal("0x" + Convert.ToHexStringLower(known.Expected[i].Value), doc.RootElement.GetProperty("value").GetString());
        }
    }

    [Fact]
    public void Scan_RangeLimitReverseAndColumnFamily()
    {
        var r = Lkv.Run("scan", known.Path, "--from", "acct/00100", "--to", "acct/00110", "--keys-only");
        var expected = known.Expected.Select(kv => Encoding.UTF8.GetString(kv.Key))
            .Where(k => string.CompareOrdinal(k, "acct/00100") >= 0 && string.CompareOrdinal(k, "acct/00110") < 0).ToList();
        Assert.Equal(expected, r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        var last = Lkv.Run("scan", known.Path, "--reverse", "--limit", "2", "--keys-only");
        Assert.Equal(known.Expected.TakeLast(2).Reverse().Select(kv => Encoding.UTF8.GetString(kv.Key)), last.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        var ledger = Lkv.Run("scan", known.Path, "--cf", "ledger", "--limit", "3", "--format", "base64");
        var rows = ledger.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')).ToList();
        Assert.Equal(3, rows.Count);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(Convert.ToBase64String(known.ExpectedLedger[i].Key), rows[i][0]);
            Assert.Equal(Convert.ToBase64String(known.ExpectedLedger[i].Value), rows[i][1]);
        }
        AssertUserError(Lkv.Run("scan", known.Path, "--limit", "-1"), 2);
        AssertUserError(Lkv.Run("scan", known.Path, "--limit", "many"), 2);
    }
}
