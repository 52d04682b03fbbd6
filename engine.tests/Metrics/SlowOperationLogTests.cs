using System.Text;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Metrics;

public sealed class SlowOperationLogTests
{
    private static readonly TimeSpan Threshold = TimeSpan.FromMilliseconds(100);

    [Fact]
    public void GetOverTheThreshold_IsRecordedWithKindFamilyDurationTimeAndKeyPrefix()
    {
        using var dir = new TempDir("slow");
        var clock = new SteppingClock();
        using var db = LatticeDb.Open(dir.Path, new DbOptions { Clock = clock, SlowOperationThreshold = Threshold });
        var users = db.CreateColumnFamily("users");
        db.Put(users, "user/0001/profile"u8, "v"u8);
        Assert.Empty(db.GetSlowOperations()); // each reading moves the clock by nothing yet

        clock.Step = TimeSpan.FromMilliseconds(250);
        db.Get(users, "user/0001/profile"u8);

        var slow = Assert.Single(db.GetSlowOperations());
        Assert.Equal(OperationKind.Get, slow.Kind);
        Assert.Equal("users", slow.ColumnFamily);
        Assert.Equal(TimeSpan.FromMilliseconds(250), slow.Duration);
        Assert.Equal(clock.GetUtcNow(), slow.Time);
        Assert.Equal(Convert.ToHexStringLower("user/000"u8), slow.KeyPrefix); // bounded to MaxKeyPrefixBytes
        Assert.Equal(16, slow.KeyPrefix!.Length);
    }

    [Fact]
    public void OperationsUnderTheThreshold_AreNotRecorded()
    {
        using var dir = new TempDir("slow");
        var clock = new SteppingClock { Step = TimeSpan.FromMilliseconds(99) };
        using var db = LatticeDb.Open(dir.Path, new DbOptions { Clock = clock, SlowOperationThreshold = Threshold });

        db.Put("k"u8, "v"u8);
        db.Get("k"u8);

        Assert.Empty(db.GetSlowOperations());
    }

    [Fact]
    public void NoThreshold_RecordsNothing()
    {
        using var dir = new TempDir("slow");
        var clock = new SteppingClock { Step = TimeSpan.FromSeconds(10) };
        using var db = LatticeDb.Open(dir.Path, new DbOptions { Clock = clock });

        db.Put("k"u8, "v"u8);

        Assert.Empty(db.GetSlowOperations());
    }

    [Fact]
    public void EncryptedFamily_KeepsNoKeyBytes()
    {
        using var dir = new TempDir("slow");
        var clock = new SteppingClock();
        var options = new DbOptions { Clock = clock, SlowOperationThreshold = Threshold, Encryption = EncryptionOptions.FromKey(new byte[32]) };
        using var db = LatticeDb.Open(dir.Path, options);
        var secrets = db.CreateColumnFamily("secrets", new ColumnFamilyOptions { Encrypted = true });
        var plain = db.CreateColumnFamily("plain");
        byte[] key = "patient/jane-doe"u8.ToArray();
        var seen = new List<SlowOperation>();
        db.Metrics.SlowOperations.Observer = seen.Add;
        clock.Step = TimeSpan.FromSeconds(1);

        db.Put(secrets, key, "diagnosis"u8);
        db.Get(secrets, key);
        using (var it = db.NewIterator(secrets)) it.Seek(key);
        db.Put(plain, key, "v"u8);

        var all = db.GetSlowOperations();
        Assert.Equal(4, all.Count);
        Assert.Equal(all, seen);
        Assert.All(all.Take(3), s => Assert.Null(s.KeyPrefix));
        Assert.All(all.Take(3), s => Assert.Equal("secrets", s.ColumnFamily));
        Assert.NotNull(all[3].KeyPrefix); // the same key in a plain family does show
        string text = string.Join('\n', all.Take(3).Select(s => s.ToString()));
        Assert.DoesNotContain("patient", text);
        Assert.DoesNotContain(Convert.ToHexStringLower(key.AsSpan(0, 4)), text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void ManySlowOperations_KeepTheNewestInABoundedRing()
    {
        using var dir = new TempDir("slow");
        var clock = new SteppingClock { Step = TimeSpan.FromSeconds(1) };
        using var db = LatticeDb.Open(dir.Path, new DbOptions { Clock = clock, SlowOperationThreshold = Threshold });
        int total = LatticeKV.Metrics.SlowOperationLog.Capacity + 44;

        for (int i = 0; i < total; i++) db.Put(Encoding.ASCII.GetBytes($"{i:D6}"), "v"u8);

        var kept = db.GetSlowOperations();
        Assert.Equal(LatticeKV.Metrics.SlowOperationLog.Capacity, kept.Count);
        Assert.Equal(Convert.ToHexStringLower(Encoding.ASCII.GetBytes($"{total - 1:D6}")), kept[^1].KeyPrefix);
        Assert.Equal(Convert.ToHexStringLower(Encoding.ASCII.GetBytes($"{44:D6}")), kept[0].KeyPrefix);
    }

    [Fact]
    public void ThrowingObserver_DoesNotFailTheOperation()
    {
        using var dir = new TempDir("slow");
        var clock = new SteppingClock { Step = TimeSpan.FromSeconds(1) };
        using var db = LatticeDb.Open(dir.Path, new DbOptions { Clock = clock, SlowOperationThreshold = Threshold });
        db.Metrics.SlowOperations.Observer = _ => throw new InvalidOperationException("listener bug");

        db.Put("k"u8, "v"u8);

        Assert.Equal("v", TestDb.S(db.Get("k"u8)));
        Assert.Equal(2, db.GetSlowOperations().Count);
    }
}
