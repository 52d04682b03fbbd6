using LatticeKV.Ledger;
using LatticeKV.Ledger.Chain;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Ledger;

/// <summary>
/// <c>Ledger.VerifyAgainstNetworkAsync</c> over a mined regtest chain: proven transactions get their
/// evidence stored and become final at depth, a transaction the network contradicts is orphaned
/// and reported (never kept as confirmed), and <c>Ledger.Verify</c> re-checks stored evidence.
/// </summary>
public sealed class LedgerNetworkTests
{
    /// <summary>Each transaction of blocks 1.. of <paramref name="chain"/> as a ledger record paying 1 to "miner".</summary>
    private static List<LedgerTransaction> Records(RegtestChain chain, int depth = 1) =>
    [
        .. Enumerable.Range(1, chain.Headers.Count - 1).SelectMany(h => chain.Transactions[h].Select((raw, position) => new LedgerTransaction
        {
            Chain = RegtestChain.ChainId,
            TransactionId = BitcoinTransaction.Parse(raw).Txid.ToString(),
            BlockHeight = h,
            BlockHash = chain.Headers[h].Hash.ToString(),
            Position = position,
            RawTransaction = raw,
            Status = LedgerStatus.Confirmed(depth),
            Postings = [new LedgerPosting("pool", "BTC", -1), new LedgerPosting("miner", "BTC", 1)],
        })),
    ];

    [Fact]
    public async Task VerifyAgainstNetwork_HonestChain_ProvesEveryTransaction_AndFinalisesDeepOnes()
    {
        using var dir = new TempDir("ledger-network");
        var chain = new RegtestChain(TestSeed.Get(2301)).Grow(12, 3);
        using var db = LatticeDb.Open(dir.Path);
        using var ledger = LatticeKV.Ledger.Ledger.Open(db);
        var records = Records(chain);
        ledger.AppendBatch(records);

        var report = await ledger.VerifyAgainstNetworkAsync(RegtestChain.ChainId, chain.Provider());

        Assert.Equal(records.Count, report.Results.Count);
        Assert.Empty(report.Failures);
        // Depth = tip − height + 1 (tip 11): heights 1 to 6 are 6 deep or more, the finality depth.
        foreach (var r in records)
        {
            var stored = ledger.GetTransaction(r.Chain, r.TransactionId)!;
            Assert.Equal(r.BlockHeight <= 6 ? LedgerStatusKind.Final : LedgerStatusKind.Confirmed, stored.Status.Kind);
        }
        Assert.Equal(records.Count, (long)ledger.GetBalance(RegtestChain.ChainId, "miner", "BTC"));
        Assert.True(ledger.Verify().IsConsistent);
    }

    [Fact]
    public async Task VerifyAgainstNetwork_ChangedTransaction_IsOrphanedAndReported_NeverKeptConfirmed()
    {
        using var dir = new TempDir("ledger-network-bad");
        var chain = new RegtestChain(TestSeed.Get(2302)).Grow(4, 3);
        using var db = LatticeDb.Open(dir.Path);
        using var ledger = LatticeKV.Ledger.Ledger.Open(db);
        var records = Records(chain);
        // One record claims a block position the network does not have it at.
        var forged = records[2] with { Position = records[2].Position == 0 ? 1 : 0 };
        records[2] = forged;
        ledger.AppendBatch(records);

        var report = await ledger.VerifyAgainstNetworkAsync(RegtestChain.ChainId, chain.Provider());

        var failure = Assert.Single(report.Failures);
        Assert.Equal(forged.TransactionId, failure.TransactionId.ToString());
        Assert.Equal(LedgerStatusKind.Orphaned, ledger.GetTransaction(forged.Chain, forged.TransactionId)!.Status.Kind);
        Assert.Equal(records.Count - 1, (long)ledger.GetBalance(RegtestChain.ChainId, "miner", "BTC"));
        var verify = ledger.Verify();
        Assert.Contains(verify.Problems, p => p.TransactionId == forged.TransactionId && p.Description.Contains("against the network", StringComparison.Ordinal));
    }

    [Fact]
    public async Task VerifyAgainstNetwork_NodeCannotAnswer_LeavesTransactionsAsTheyWere()
    {
        using var dir = new TempDir("ledger-network-down");
        var chain = new RegtestChain(TestSeed.Get(2303)).Grow(3, 2);
        using var db = LatticeDb.Open(dir.Path);
        using var ledger = LatticeKV.Ledger.Ledger.Open(db);
        var records = Records(chain);
        ledger.AppendBatch(records);
        var provider = chain.Provider();
        provider.Failure = new IOException("node unreachable");

        var report = await ledger.VerifyAgainstNetworkAsync(RegtestChain.ChainId, provider);

        Assert.All(report.Failures, f => Assert.Equal(NetworkVerificationFailure.ProviderFailed, f.Failure));
        Assert.Equal(records.Count, report.Failures.Count);
        Assert.All(records, r => Assert.Equal(LedgerStatusKind.Confirmed, ledger.GetTransaction(r.Chain, r.TransactionId)!.Status.Kind));
        Assert.True(ledger.Verify().IsConsistent);
    }

    [Fact]
    public async Task Verify_StoredEvidenceTamperedWith_IsReported()
    {
        using var dir = new TempDir("ledger-network-evidence");
        var chain = new RegtestChain(TestSeed.Get(2304)).Grow(3, 2);
        using var db = LatticeDb.Open(dir.Path);
        using var ledger = LatticeKV.Ledger.Ledger.Open(db);
        ledger.AppendBatch(Records(chain));
        await ledger.VerifyAgainstNetworkAsync(RegtestChain.ChainId, chain.Provider());
        Assert.True(ledger.Verify().IsConsistent);

        var meta = db.GetColumnFamily("ledger.meta");
        byte[]? key = null, value = null;
        using (var it = db.NewIterator(meta))
        {
            for (it.SeekToFirst(); it.Valid && key is null; it.Next())
                if (it.Key.StartsWith("evidence/"u8)) (key, value) = (it.Key.ToArray(), it.Value.ToArray());
        }
        Assert.NotNull(key);
        value![^1] ^= 0x01; // inside the last header
        db.Put(meta, key, value);

        Assert.Contains(ledger.Verify().Problems, p => p.Description.StartsWith("network evidence", StringComparison.Ordinal));
    }
}
