using LatticeKV.Tests.Support;
using LatticeKV.Tool.Demo;

namespace LatticeKV.Tests.Tool;

/// <summary>
/// <c>lkv demo</c> replaces only a directory an earlier demo created: a database, a directory of
/// other files or a file at its path survives byte for byte, with exit code 2.
/// </summary>
public sealed class LkvDemoTests(KnownDatabase known) : IClassFixture<KnownDatabase>
{
    private const int Accounts = 20;

    /// <summary>A demo small enough to run in a moment.</summary>
    private static LkvResult Demo(string path, int accounts = Accounts)
        => Lkv.Run("demo", "--path", path, "--accounts", accounts.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--transactions", "50", "--notes", "2", "--reads", "10");

    private static void AssertRefusedUntouched(string path, int code = 2)
    {
        var before = DirectoryFingerprint.Of(path);
        var r = Demo(path);
        LkvKeyValueTests.AssertUserError(r, code);
        Assert.Contains("Nothing was changed", r.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, DirectoryFingerprint.Of(path));
    }

    private static int CountAccounts(string path)
    {
        using var db = LatticeDb.OpenReadOnly(path);
        int n = 0;
        using var it = db.NewIterator(db.GetColumnFamily("accounts"));
        for (it.SeekToFirst(); it.Valid; it.Next()) n++;
        return n;
    }

    [Fact]
    public void Demo_PathHoldsADatabase_IsRefusedAndUntouched()
    {
        using var dir = new TempDir("lkv-demo");
        string path = known.CopyTo(dir);
        Assert.True(File.Exists(Path.Combine(path, "CURRENT")));
        AssertRefusedUntouched(path);
        Assert.Contains("ledger", LatticeDb.ListColumnFamilies(path));
    }

    [Fact]
    public void Demo_PathHoldsOtherFiles_IsRefusedAndUntouched()
    {
        using var dir = new TempDir("lkv-demo");
        string path = dir.Sub("documents");
        Directory.CreateDirectory(Path.Combine(path, "photos"));
        File.WriteAllText(Path.Combine(path, "thesis.txt"), "chapter one");
        File.WriteAllBytes(Path.Combine(path, "photos", "000001.sst"), [1, 2, 3]);
        AssertRefusedUntouched(path);

        // A stray CURRENT does not make a directory a database the demo may replace.
        string stray = dir.Sub("stray");
        Directory.CreateDirectory(stray);
        File.WriteAllText(Path.Combine(stray, "CURRENT"), "MANIFEST-000001\n");
        File.WriteAllText(Path.Combine(stray, "notes.md"), "mine");
        AssertRefusedUntouched(stray);
    }

    [Fact]
    public void Demo_PathIsAFile_IsRefusedAndUntouched()
    {
        using var dir = new TempDir("lkv-demo");
        string path = dir.Sub("ledger.csv");
        File.WriteAllText(path, "a,b\n");
        var r = Demo(path);
        LkvKeyValueTests.AssertUserError(r, 2);
        Assert.Equal("a,b\n", File.ReadAllText(path));
    }

    [Fact]
    public void Demo_EarlierDemo_IsReplaced_ButNotWithFilesItDidNotCreate()
    {
        using var dir = new TempDir("lkv-demo");
        string path = dir.Sub("demo");
        var first = Demo(path);
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.StartsWith(DemoDirectory.Signature + "\n", File.ReadAllText(Path.Combine(path, DemoDirectory.MarkerName)), StringComparison.Ordinal);
        using (var db = LatticeDb.Open(path))
            db.Put("left by the first demo"u8, "x"u8);
        Directory.CreateDirectory(Path.Combine(path, "lost"));
        File.WriteAllBytes(Path.Combine(path, "lost", "000001.log"), [0]); // as repair leaves it

        var second = Demo(path, accounts: Accounts + 5);
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Equal(Accounts + 5, CountAccounts(path));
        using (var db = LatticeDb.OpenReadOnly(path))
            Assert.Null(db.Get("left by the first demo"u8));
        Assert.False(Directory.Exists(Path.Combine(path, "lost")));

        // A file someone added: the demo deletes nothing it did not create.
        File.WriteAllText(Path.Combine(path, "results.txt"), "keep me");
        AssertRefusedUntouched(path);
        File.Delete(Path.Combine(path, "results.txt"));
        Directory.CreateDirectory(Path.Combine(path, "lost"));
        File.WriteAllText(Path.Combine(path, "lost", "notes.txt"), "keep me too");
        AssertRefusedUntouched(path);
    }

    [Fact]
    public void Demo_EarlierDemoOpenInAnotherProcess_IsRefused()
    {
        using var dir = new TempDir("lkv-demo");
        string path = dir.Sub("demo");
        Assert.Equal(0, Demo(path).ExitCode);
        using (var db = LatticeDb.Open(path))
        {
            var r = Demo(path, accounts: Accounts + 5);
            LkvKeyValueTests.AssertUserError(r, 2);
            Assert.Contains("open in another process", r.Stderr, StringComparison.Ordinal);
        }
        Assert.Equal(Accounts, CountAccounts(path));
    }

    [Theory]
    [InlineData("--accounts", "0")]
    [InlineData("--accounts", "100000000")]
    [InlineData("--transactions", "-5")]
    [InlineData("--notes", "-1")]
    [InlineData("--reads", "-3")]
    public void Demo_CountOutOfRange_IsAUsageErrorAndCreatesNothing(string option, string value)
    {
        using var dir = new TempDir("lkv-demo");
        string path = dir.Sub("demo");
        var r = Lkv.Run("demo", "--path", path, option, value);
        LkvKeyValueTests.AssertUserError(r, 2);
        Assert.Contains(option, r.Stderr, StringComparison.Ordinal);
        Assert.False(Path.Exists(path));
    }
}
