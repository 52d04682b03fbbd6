using System.Globalization;
using LatticeKV.Ledger;
using LatticeKV.Tests.Support;
using LatticeKV.Tool.Crash;
using Xunit.Abstractions;

namespace LatticeKV.Tests.Ledgers;

/// <summary>
/// Real process kills (SIGKILL) of a child appending, confirming and reorganising (<see cref="LedgerCrashChild"/>):
/// after each kill the reopened ledger holds every acknowledged transaction, balances equal to the
/// fold of its non-orphaned records, index entries and markers that agree, and a Merkle root
/// equal to the one recomputed from its leaves.
/// </summary>
public class LedgerCrashTests(ITestOutputHelper output)
{
    [Fact]
    public void ChildKilledMidWork_ReopenedLedgerIsConsistentAndKeepsAcknowledged()
    {
        using var dir = new TempDir("ledger-crash");
        int seed = TestSeed.Get(9162);
        var rnd = new Random(seed);
        int cycles = 3 * TestSeed.Scale;
        output.WriteLine($"seed={seed} cycles={cycles}");
        var acknowledged = new System.Collections.Concurrent.ConcurrentBag<string>();
        for (int cycle = 0; cycle < cycles; cycle++)
        {
            int target = rnd.Next(60, 400);
            KilledChild.RunUntil(["ledger-crash-child", dir.Path, "--run", (seed + cycle).ToString(CultureInfo.InvariantCulture), "--threads", "4"], line =>
            {
                if (!line.StartsWith("A ", StringComparison.Ordinal)) return false;
                acknowledged.Add(line[2..]);
                return true;
            }, target);

            using var db = LatticeDb.Open(dir.Path, LedgerCrashChild.Options());
            using var ledger = LatticeKV.Ledger.Ledger.Open(db, new LedgerOptions { FinalityDepth = 4 });
            string where = $"seed={seed} cycle={cycle}";
            foreach (var id in acknowledged)
            {
                var stored = ledger.GetTransaction(LedgerCrashChild.Chain, id);
                Assert.True(stored is not null, $"{where}: acknowledged {id} is missing");
                Assert.True(LedgerStatusRules.SameContent(LedgerRecordCodec.Canonical(LedgerCrashChild.Content(id)), stored), $"{where}: {id} changed content");
            }
            var report = ledger.VerifyBalances();
            Assert.True(report.IsConsistent, $"{where}: {string.Join("; ", report.Problems.Select(p => p.Description))}; {report.BalanceDifferences.Count} balance differences");
            var leaves = Enumerable.Range(0, (int)ledger.TreeSize).Select(i => LedgerRecordCodec.Encode(ledger.GetLeafRecord(i))).ToList();
            Assert.Equal(MerkleCheck.Root(leaves), ledger.RootHash);
            long sum = 0;
            for (int a = 0; a < LedgerCrashChild.Accounts; a++) sum += (long)ledger.GetBalance(LedgerCrashChild.Chain, $"acct{a}", "SAT");
            Assert.Equal(0, sum);
            output.WriteLine($"{where}: {acknowledged.Count} acknowledged, {ledger.TreeSize} leaves, tip {ledger.GetChainTip(LedgerCrashChild.Chain)}");
        }
    }
}
