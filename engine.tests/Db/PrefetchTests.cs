using System.Text;
using LatticeKV.Db;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Db;

/// <summary>
/// Learned prefetch on a navigation workload: a user opens an account's profile ("prof0042"), then
/// its transactions ("txns0042..."). Reads use <see cref="ReadOptions.FillCache"/> false so that
/// only prefetch puts blocks in the cache: the second read of a visit is a hit only if prefetch
/// loaded it.
/// </summary>
public class PrefetchTests
{
    private const int Accounts = 100;
    private const int TransactionsPerAccount = 30;
    private static readonly ReadOptions NoFill = new() { FillCache = false };

    private static DbOptions Options(PrefetchOptions? prefetch) => new()
    {
        BlockCacheCapacity = 16 << 20,
        ReadaheadMaxBytes = 0,
        Preload = new PreloadOptions { Enabled = false },
        Prefetch = prefetch,
        DefaultColumnFamilyOptions = new ColumnFamilyOptions { BlockSize = 512 },
    };

    private static byte[] Profile(int account) => Encoding.ASCII.GetBytes($"prof{account:D4}");

    private static byte[] Transactions(int account) => Encoding.ASCII.GetBytes($"txns{account:D4}");

    private static void Fill(string path)
    {
        using var db = LatticeDb.Open(path, Options(null));
        for (int a = 0; a < Accounts; a++)
        {
            db.Put(Profile(a), Encoding.ASCII.GetBytes($"name-{a}-" + new string('p', 60)));
            for (int t = 0; t < TransactionsPerAccount; t++)
                db.Put([.. Transactions(a), .. Encoding.ASCII.GetBytes($":{t:D4}")], Encoding.ASCII.GetBytes($"amount-{t}-" + new string('t', 50)));
        }
        db.Flush();
    }

    private static long Stat(LatticeDb db, string name) => db.GetStatistics()[name];

    /// <summary>Visits account <paramref name="a"/>: its profile, then its first transactions. Returns whether reading the transactions hit the cache.</summary>
    private static bool Visit(LatticeDb db, int a, bool readTransactions = true)
    {
        Assert.NotNull(db.Get(Profile(a), NoFill));
        db.Anticipation!.Warmer?.WaitIdle();
        if (!readTransactions) return false;
        long hits = Stat(db, "block.cache.hits");
        using var it = db.NewIterator(NoFill);
        it.Seek(Transactions(a));
        Assert.True(it.Valid && it.Key.StartsWith(Transactions(a)));
        return Stat(db, "block.cache.hits") > hits;
    }

    private static int HitsInThirdRound(PrefetchOptions? prefetch, out LatticeDbStats stats)
    {
        using var dir = new TempDir();
        Fill(dir.Path);
        using var db = LatticeDb.Open(dir.Path, Options(prefetch));
        for (int round = 0; round < 2; round++)
            for (int a = 0; a < Accounts; a += 5) Visit(db, a);
        int hits = 0;
        for (int a = 0; a < Accounts; a += 5)
            if (Visit(db, a)) hits++;
        stats = new LatticeDbStats(Stat(db, "cache.prefetch.issued"), Stat(db, "cache.prefetch.used"), Stat(db, "cache.prefetch.model.prefixes"));
        return hits;
    }

    private readonly record struct LatticeDbStats(long Issued, long Used, long Prefixes);

    [Fact]
    public void Navigation_ProfileThenTransactions_SecondReadIsCacheHit()
    {
        int hits = HitsInThirdRound(new PrefetchOptions { PrefixLength = 8 }, out var stats);
        Assert.Equal(Accounts / 5, hits);
        Assert.True(stats.Issued > 0);
        Assert.True(stats.Used >= Accounts / 5, $"used {stats.Used}");
    }

    [Fact]
    public void Navigation_PrefetchOff_SecondReadMisses()
    {
        // The control: the same reads without prefetch never find the transactions cached.
        int hits = HitsInThirdRound(null, out var stats);
        Assert.Equal(0, hits);
        Assert.Equal(0, stats.Issued);
    }

    [Fact]
    public void Model_ManyPrefixes_StaysBounded()
    {
        int hits = HitsInThirdRound(new PrefetchOptions { PrefixLength = 8, MaxPrefixes = 16 }, out var stats);
        Assert.InRange(stats.Prefixes, 1, 16);
        _ = hits;
    }

    [Fact]
    public void Prefetch_UnusedBlocks_Pauses()
    {
        using var dir = new TempDir();
        Fill(dir.Path);
        using var db = LatticeDb.Open(dir.Path, Options(new PrefetchOptions { PrefixLength = 8 }));
        for (int round = 0; round < 2; round++)
            for (int a = 0; a < Accounts; a++) Visit(db, a);
        // The users change habits: profiles only. What prefetch loads goes unread.
        for (int round = 0; round < 3 && Stat(db, "cache.prefetch.pauses") == 0; round++)
            for (int a = 0; a < Accounts; a++) Visit(db, a, readTransactions: false);
        Assert.Equal(1, Stat(db, "cache.prefetch.pauses"));
        Assert.Equal(1, Stat(db, "cache.prefetch.paused"));
        long issued = Stat(db, "cache.prefetch.issued");
        for (int a = 0; a < Accounts; a++) Visit(db, a, readTransactions: false);
        Assert.Equal(issued, Stat(db, "cache.prefetch.issued"));
    }

    [Fact]
    public void PrefixOf_Delimiter_EndsAtNthDelimiter()
    {
        var options = new PrefetchOptions { Delimiter = (byte)'/', DelimiterCount = 2 };
        Assert.Equal("acct/42/", Encoding.ASCII.GetString(PrefixPrefetcher.PrefixOf("acct/42/txn/7"u8, options)));
        Assert.Equal("acct/42", Encoding.ASCII.GetString(PrefixPrefetcher.PrefixOf("acct/42"u8, options)));
        Assert.Equal("acct/42/", Encoding.ASCII.GetString(PrefixPrefetcher.PrefixOf("acct/42/txn/7"u8, new PrefetchOptions { PrefixLength = 8 })));
    }

    [Fact]
    public void Options_Invalid_Rejected()
    {
        Assert.Throws<InvalidArgumentException>(() => LatticeDb.Open("/nowhere", new DbOptions { Prefetch = new PrefetchOptions { PrefixLength = 0 } }));
        Assert.Throws<InvalidArgumentException>(() => LatticeDb.Open("/nowhere", new DbOptions { Preload = new PreloadOptions { BytesPerSecond = 0 } }));
        Assert.Throws<InvalidArgumentException>(() => LatticeDb.Open("/nowhere", new DbOptions { ReadaheadMaxBytes = -1 }));
    }
}
