using System.Text;
using LatticeKV.Tests.Support;
using Xunit.Abstractions;

namespace LatticeKV.Tests.Combined;

/// <summary>
/// Issue 19's features together against one model: puts, deletes, merges (Int64Add balances),
/// transactions (committed, conflicting, rolled back, optimistic and pessimistic) and index
/// queries in both directions, with flushes, compactions and reopens. Every query must equal
/// the model's filtered scan; every balance must equal the model's sum.
/// </summary>
public sealed class CombinedModelTests(ITestOutputHelper output)
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private static string S(ReadOnlySpan<byte> b) => Encoding.UTF8.GetString(b);

    private static byte[] Account(string owner, int n) => B($"{{\"owner\":\"{owner}\",\"n\":{n}}}");

    private static DbOptions Options()
    {
        var o = new DbOptions { WriteBufferSize = 32 << 10 };
        o.ColumnFamilyOptions["bal"] = new ColumnFamilyOptions { MergeOperator = MergeOperators.Int64Add };
        o.ColumnFamilyOptions["acct"] = new ColumnFamilyOptions();
        return o;
    }

    private sealed class Model
    {
        public readonly SortedDictionary<string, byte[]> Accounts = new(StringComparer.Ordinal);
        public readonly SortedDictionary<string, long> Balances = new(StringComparer.Ordinal);
    }

    [Fact]
    public void PutsDeletesMergesTransactionsAndIndexQueries_MatchTheModel_AcrossReopens()
    {
        int seed = TestSeed.Get(19_019);
        output.WriteLine($"seed {seed}");
        var rng = new Random(seed);
        using var dir = new TempDir("combined-model");
        var model = new Model();
        string[] owners = ["alice", "bob", "carol", "dave"];
        int steps = 1500 * TestSeed.Scale, queries = 0, conflicts = 0, rollbacks = 0, commits = 0;
        var db = LatticeDb.Open(dir.Path, Options());
        try
        {
            var acct = db.CreateColumnFamily("acct", Options().ColumnFamilyOptions["acct"]);
            var bal = db.CreateColumnFamily("bal", Options().ColumnFamilyOptions["bal"]);
            var byOwner = db.CreateIndex(acct, new IndexDefinition { Name = "by-owner", Extractor = IndexExtractors.JsonField("$.owner") });
            Assert.True(byOwner.WaitUntilReady(TimeSpan.FromMinutes(1)));
            for (int step = 0; step < steps; step++)
            {
                string ak = "a" + rng.Next(60).ToString("D2", System.Globalization.CultureInfo.InvariantCulture);
                string bk = "b" + rng.Next(20).ToString("D2", System.Globalization.CultureInfo.InvariantCulture);
                switch (rng.Next(12))
                {
                    case 0 or 1:
                        {
                            var v = Account(owners[rng.Next(owners.Length)], step);
                            db.Put(acct, B(ak), v);
                            model.Accounts[ak] = v;
                            break;
                        }
                    case 2:
                        db.Delete(acct, B(ak));
                        model.Accounts.Remove(ak);
                        break;
                    case 3 or 4:
                        {
                            long d = rng.Next(-1000, 1000);
                            db.Merge(bal, B(bk), BitConverter.GetBytes(d));
                            model.Balances[bk] = model.Balances.GetValueOrDefault(bk) + d;
                            break;
                        }
                    case 5:
                        if (rng.Next(2) == 0)
                        {
                            long v = rng.Next(10_000);
                            db.Put(bal, B(bk), BitConverter.GetBytes(v));
                            model.Balances[bk] = v;
                        }
                        else
                        {
                            db.Delete(bal, B(bk));
                            model.Balances.Remove(bk);
                        }
                        break;
                    case 6 or 7:
                        {
                            // A transaction moving an account to another owner and money between two balances.
                            bool pessimistic = rng.Next(2) == 0;
                            string other = "b" + rng.Next(20).ToString("D2", System.Globalization.CultureInfo.InvariantCulture);
                            long amount = rng.Next(1, 50);
                            var v = Account(owners[rng.Next(owners.Length)], step);
                            using var txn = db.BeginTransaction(new TransactionOptions { Pessimistic = pessimistic });
                            _ = txn.GetForUpdate(acct, B(ak));
                            txn.Put(acct, B(ak), v);
                            txn.Merge(bal, B(bk), BitConverter.GetBytes(-amount));
                            txn.Merge(bal, B(other), BitConverter.GetBytes(amount));
                            // Its own writes are visible to it: the merged balance over the snapshot.
                            long before = model.Balances.GetValueOrDefault(bk);
                            Assert.Equal(before - amount + (other == bk ? amount : 0), BitConverter.ToInt64(txn.Get(bal, B(bk))));
                            int outcome = rng.Next(4);
                            if (outcome == 0)
                            {
                                txn.Rollback();
                                rollbacks++;
                            }
                            else if (outcome == 1 && !pessimistic)
                            {
                                // Another writer changes a key the transaction read: the commit must fail whole.
                                var outside = Account("mallory", step);
                                db.Put(acct, B(ak), outside);
                                model.Accounts[ak] = outside;
                                Assert.Throws<TransactionConflictException>(() => txn.Commit());
                                conflicts++;
                            }
                            else
                            {
                                txn.Commit();
                                commits++;
                                model.Accounts[ak] = v;
                                model.Balances[bk] = model.Balances.GetValueOrDefault(bk) - amount;
                                model.Balances[other] = model.Balances.GetValueOrDefault(other) + amount;
                            }
                            break;
                        }
                    case 8 or 9:
                        {
                            string owner = owners[rng.Next(owners.Length)];
                            bool reverse = rng.Next(2) == 0;
                            using var it = db.QueryIndexPrefix(byOwner, B(owner));
                            Assert.Equal(Expected(model, owner, reverse), Read(it, reverse));
                            foreach (var (k, v) in model.Balances) Assert.Equal(v, BitConverter.ToInt64(db.Get(bal, B(k)) ?? throw new Xunit.Sdk.XunitException($"balance {k} missing")));
                            queries++;
                            break;
                        }
                    case 10:
                        if (rng.Next(3) == 0) db.Flush();
                        else if (rng.Next(2) == 0) db.CompactRange(acct);
                        else db.CompactRange(bal);
                        break;
                    default:
                        if (rng.Next(8) == 0)
                        {
                            db.Dispose();
                            db = LatticeDb.Open(dir.Path, Options());
                            acct = db.GetColumnFamily("acct");
                            bal = db.GetColumnFamily("bal");
                            byOwner = db.GetIndex("by-owner");
                        }
                        break;
                }
            }
            foreach (string owner in owners)
            {
                using var it = db.QueryIndexPrefix(byOwner, B(owner));
                Assert.Equal(Expected(model, owner, reverse: false), Read(it, reverse: false));
            }
            Assert.All(db.VerifyIndexes(), v => Assert.True(v.Consistent, v.ToString()));
        }
        finally
        {
            db.Dispose();
        }
        output.WriteLine($"{queries} queries, {commits} commits, {conflicts} conflicts, {rollbacks} rollbacks");
        Assert.True(queries > 0 && commits > 0 && conflicts > 0 && rollbacks > 0, "every kind of step ran");
    }

    private static List<string> Expected(Model model, string owner, bool reverse)
    {
        var rows = model.Accounts.Where(kv => S(kv.Value).Contains($"\"owner\":\"{owner}\"", StringComparison.Ordinal)).Select(kv => kv.Key + "=" + S(kv.Value)).ToList();
        if (reverse) rows.Reverse();
        return rows;
    }

    private static List<string> Read(IndexIterator it, bool reverse)
    {
        var rows = new List<string>();
        for (SeekStart(reverse, it); it.Valid; Step(it, reverse)) rows.Add(S(it.PrimaryKey) + "=" + S(it.Value));
        return rows;
    }

    private static void SeekStart(bool reverse, IndexIterator it)
    {
        if (reverse) it.SeekToLast();
        else it.SeekToFirst();
    }

    private static void Step(IndexIterator it, bool reverse)
    {
        if (reverse) it.Prev();
        else it.Next();
    }
}
