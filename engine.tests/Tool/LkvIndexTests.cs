using System.Text;
using System.Text.Json;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Tool;

/// <summary><c>lkv index list|create|drop|verify</c>, <c>lkv query</c>, <c>lkv search</c> and the index part of <c>lkv verify</c>, run as a process.</summary>
public sealed class LkvIndexTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private static string Database(TempDir dir)
    {
        string path = dir.Sub("db");
        using var db = LatticeDb.Open(path);
        db.Put(B("t1"), B("{\"account\":\"alice\",\"note\":\"rent for May\"}"));
        db.Put(B("t2"), B("{\"account\":\"bob\",\"note\":\"coffee\"}"));
        db.Put(B("t3"), B("{\"account\":\"alice\",\"note\":\"rent rent\"}"));
        return path;
    }

    private static LkvResult Ok(params string[] args)
    {
        var r = Lkv.Run(args);
        Assert.True(r.ExitCode == 0, r.ToString());
        return r;
    }

    [Fact]
    public void IndexCommands_CreateListQuerySearchVerifyDrop()
    {
        using var dir = new TempDir("lkv-index");
        string db = Database(dir);
        Assert.Contains("index by-account ready", Ok("index", "create", db, "by-account", "--json-field", "$.account").Stdout, StringComparison.Ordinal);
        Ok("index", "create", db, "notes", "--text", "$.note");
        Assert.Equal("by-account\tdefault\tjson($.account)\t-\tReady\nnotes\tdefault\ttext($.note)\t-\tReady\n", Ok("index", "list", db).Stdout);

        Assert.Equal("alice\tt1\t{\"account\":\"alice\",\"note\":\"rent for May\"}\nalice\tt3\t{\"account\":\"alice\",\"note\":\"rent rent\"}\n",
            Ok("query", db, "--index", "by-account", "--prefix", "ali").Stdout);
        Assert.StartsWith("alice\tt3", Ok("query", db, "--index", "by-account", "--prefix", "ali", "--reverse").Stdout, StringComparison.Ordinal);
        Assert.Equal("bob\tt2\t{\"account\":\"bob\",\"note\":\"coffee\"}\n", Ok("query", db, "--index", "by-account", "--from", "b", "--to", "c").Stdout);

        var found = Ok("search", db, "--index", "notes", "RENT").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["t3", "t1"], found.Select(l => l.Split('\t')[1]));

        var verify = JsonDocument.Parse(Ok("index", "verify", db, "--json").Stdout).RootElement.GetProperty("indexes");
        Assert.All(verify.EnumerateArray(), v => Assert.True(v.GetProperty("consistent").GetBoolean()));
        var full = JsonDocument.Parse(Ok("verify", db, "--json").Stdout).RootElement;
        Assert.Equal(2, full.GetProperty("indexes").GetArrayLength());

        Ok("index", "drop", db, "notes");
        Assert.Equal("by-account\tdefault\tjson($.account)\t-\tReady\n", Ok("index", "list", db).Stdout);
    }

    [Fact]
    public void IndexCommands_UserErrors_HaveTheirExitCodes()
    {
        using var dir = new TempDir("lkv-index-errors");
        string db = Database(dir);
        LkvKeyValueTests.AssertUserError(Lkv.Run("index", "create", db, "x"), 2);                                  // nothing to index
        LkvKeyValueTests.AssertUserError(Lkv.Run("index", "create", db, "bad name", "--json-field", "$.a"), 2);   // invalid name
        LkvKeyValueTests.AssertUserError(Lkv.Run("query", db, "--index", "absent", "--prefix", "a"), 2);
        Ok("index", "create", db, "by-account", "--json-field", "$.account", "--unique", "--no-wait");
        // Existing data has alice twice: the unique build fails, and a query says so.
        LkvKeyValueTests.AssertUserError(Lkv.Run("query", db, "--index", "by-account", "--prefix", "a"), 2);
        LkvKeyValueTests.AssertUserError(Lkv.Run("search", db, "--index", "by-account", "x"), 2);
    }

    [Fact]
    public void Verify_IndexDisagreeingWithItsData_ExitsWith14()
    {
        using var dir = new TempDir("lkv-index-damage");
        string db = Database(dir);
        Ok("index", "create", db, "by-account", "--json-field", "$.account");
        using (var open = LatticeDb.Open(db))
        {
            // An entry removed behind the index's back: the index now misses t2.
            var entries = open.GetIndex("by-account").Index.Entries;
            open.Delete(entries, LatticeKV.Indexing.IndexKeyEncoding.EntryKey(B("bob"), B("t2")));
        }
        var r = Lkv.Run("verify", db);
        Assert.True(r.ExitCode == 14, r.ToString());
        Assert.Contains("1 missing", r.Stdout, StringComparison.Ordinal);
        Assert.Equal(14, Lkv.Run("index", "verify", db).ExitCode);
    }
}
