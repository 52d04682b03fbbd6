using LatticeKV.Ledger;
using LatticeKV.Tests.Support;
using Xunit.Abstractions;
using static LatticeKV.Tests.Ledgers.LedgerTestData;

namespace LatticeKV.Tests.Ledgers;

/// <summary>
/// Random histories of appends (pending, confirmed, repeated), tip moves, reorganisations and
/// reopens against an in-memory model of which transactions count and where they sit: balances,
/// chain order, statuses kept or orphaned, the Merkle root recomputed from the leaves and inclusion proofs.
/// </summary>
public class LedgerModelTests(ITestOutputHelper output)
{
    private const int Pool = 40;
    private const int AccountCount = 4;

    private sealed class ModelTx
    {
        public long? Height;
        public string? Hash;
        public bool Orphaned;
        public ulong Arrival;
    }

    [Fact]
    public void RandomHistory_MatchesModel()
    {
        int seed = TestSeed.Get(4242);
        int steps = 300 * TestSeed.Scale;
        output.WriteLine($"seed={seed} steps={steps}");
        var rnd = new Random(seed);
        using var dir = new TempDir("ledger-model");
        var db = LatticeDb.Open(dir.Path, new DbOptions { WriteBufferSize = 32 * 1024 });
        var ledger = Open(db);
        try
        {
            var model = new Dictionary<string, ModelTx>();
            var hashes = new Dictionary<long, string>();
            long tip = -1;
            int epoch = 0;
            ulong arrivals = 0;
            string HashAt(long h) => hashes.TryGetValue(h, out var x) ? x : hashes[h] = BlockHash(h, "e0");

            for (int step = 0; step < steps; step++)
            {
                int op = rnd.Next(100);
                string id = $"tx{rnd.Next(Pool):D3}";
                if (op < 35)
                {
                    ledger.Append(Content(seed, id));
                    if (!model.TryGetValue(id, out var m)) model[id] = new ModelTx { Arrival = arrivals++ };
                    else if (m.Orphaned) { m.Orphaned = false; m.Height = null; m.Hash = null; }
                }
                else if (op < 75)
                {
                    long h = Math.Max(0, tip + rnd.Next(-3, 2));
                    ledger.Append(Confirm(seed, id, h, HashAt(h)));
                    if (!model.TryGetValue(id, out var m)) model[id] = m = new ModelTx { Arrival = arrivals++ };
                    m.Orphaned = false;
                    m.Height = h;
                    m.Hash = HashAt(h);
                }
                else if (op < 88)
                {
                    long h = tip + rnd.Next(0, 3);
                    if (h >= 0 && h >= tip)
                    {
                        ledger.SetChainTip(Chain, h);
                        tip = h;
                    }
                }
                else if (op < 97)
                {
                    long fork = Math.Max(0, tip - rnd.Next(0, 4));
                    epoch++;
                    var blocks = new List<LedgerBlock>();
                    foreach (var m in model.Values.Where(m => !m.Orphaned && m.Height >= fork)) m.Orphaned = true;
                    int count = rnd.Next(0, 4);
                    for (long h = fork; h < fork + count; h++)
                    {
                        hashes[h] = BlockHash(h, $"e{epoch}");
                        var ids = Enumerable.Range(0, rnd.Next(0, 3)).Select(_ => $"tx{rnd.Next(Pool):D3}").Distinct().Where(x => blocks.All(b => b.Transactions.All(t => t.TransactionId != x))).ToList();
                        blocks.Add(new LedgerBlock(h, hashes[h], [.. ids.Select(x => Content(seed, x) with { Position = Position(x) })]));
                        foreach (var x in ids)
                        {
                            if (!model.TryGetValue(x, out var m)) model[x] = m = new ModelTx { Arrival = arrivals++ };
                            m.Orphaned = false;
                            m.Height = h;
                            m.Hash = hashes[h];
                        }
                    }
                    foreach (var h in hashes.Keys.Where(h => h >= fork + count).ToList()) hashes.Remove(h);
                    ledger.Reorganize(Chain, fork, blocks);
                    tip = count > 0 ? fork + count - 1 : fork - 1;
                }
                else
                {
                    ledger.Dispose();
                    db.Dispose();
                    db = LatticeDb.Open(dir.Path, new DbOptions { WriteBufferSize = 32 * 1024 });
                    ledger = Open(db);
                }
                if (step % 25 == 0 || step == steps - 1) Check(seed, step, ledger, model);
            }
        }
        finally
        {
            ledger.Dispose();
            db.Dispose();
        }
    }

    private static void Check(int seed, int step, LatticeKV.Ledger.Ledger ledger, Dictionary<string, ModelTx> model)
    {
        string where = $"seed={seed} step={step}";
        var balances = new Dictionary<string, long>();
        foreach (var (id, m) in model.Where(kv => !kv.Value.Orphaned))
            foreach (var p in Content(seed, id).Postings) balances[p.Account] = balances.GetValueOrDefault(p.Account) + (long)p.Amount;
        for (int a = 0; a < AccountCount; a++)
            Assert.True(balances.GetValueOrDefault($"a{a}") == (long)ledger.GetBalance(Chain, $"a{a}", "BTC"), $"{where}: balance of a{a}");

        var expectedOrder = model.Where(kv => !kv.Value.Orphaned && kv.Value.Height is not null)
            .OrderBy(kv => kv.Value.Height).ThenBy(kv => Position(kv.Key)).ThenBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key)
            .Concat(model.Where(kv => !kv.Value.Orphaned && kv.Value.Height is null).OrderBy(kv => kv.Value.Arrival).Select(kv => kv.Key)).ToList();
        Assert.Equal(expectedOrder, Ids(ledger.GetTransactions(Chain, new LedgerQuery { Limit = 10_000 })));
        foreach (var (id, m) in model)
        {
            var stored = ledger.GetTransaction(Chain, id)!;
            Assert.True(m.Orphaned == (stored.Status.Kind == LedgerStatusKind.Orphaned), $"{where}: {id} orphaned");
            if (m.Height is not null) Assert.True(m.Height == stored.BlockHeight && m.Hash == stored.BlockHash, $"{where}: {id} placement");
        }

        var leaves = Enumerable.Range(0, (int)ledger.TreeSize).Select(i => LedgerRecordCodec.Encode(ledger.GetLeafRecord(i))).ToList();
        byte[] root = MerkleCheck.Root(leaves);
        Assert.Equal(root, ledger.RootHash);
        for (int i = 0; i < leaves.Count; i += Math.Max(1, leaves.Count / 7))
        {
            var proof = ledger.GetInclusionProof(i, leaves.Count);
            Assert.True(MerkleCheck.VerifyInclusion(i, leaves.Count, MerkleCheck.LeafHash(leaves[i]), proof.Hashes, root), $"{where}: proof of leaf {i}");
        }
        var report = ledger.VerifyBalances();
        Assert.True(report.IsConsistent, $"{where}: {string.Join("; ", report.Problems.Select(p => p.Description))} {report.BalanceDifferences.Count} differences");
    }

    private static int Position(string id) => id[^1] % 4;

    /// <summary>The one content of transaction <paramref name="id"/> (pending).</summary>
    private static LedgerTransaction Content(int seed, string id)
    {
        var rnd = new Random(HashCode.Combine(seed, id));
        return Payment(id, $"a{rnd.Next(AccountCount)}", $"a{rnd.Next(AccountCount)}", rnd.Next(1, 500));
    }

    private static LedgerTransaction Confirm(int seed, string id, long height, string hash)
        => Content(seed, id) with { BlockHeight = height, BlockHash = hash, Position = Position(id), Status = LedgerStatus.Confirmed(1) };
}
