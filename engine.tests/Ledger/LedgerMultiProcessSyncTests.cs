using System.Globalization;
using System.Net;
using LatticeKV.Tests.Support;
using LatticeKV.Tool.Crash;
using Xunit.Abstractions;

namespace LatticeKV.Tests.Ledgers;

/// <summary>
/// Ledgers in separate processes (<c>lkv ledger-sync-child</c>), each with its own database,
/// syncing over TCP and TLS with mutual authentication on loopback (ports chosen by the system):
/// after sync every replica holds the same transactions, the same balances, each equal to the
/// fold of the distinct transactions appended anywhere (one appended on several replicas counts
/// once), and <c>VerifyBalances</c> finds nothing wrong; also when a replica is killed with
/// SIGKILL in the middle of a sync and restarted, and when connections are cut mid-sync.
/// </summary>
public sealed class LedgerMultiProcessSyncTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Replica processes on one test directory, with identities that trust each other.</summary>
    private sealed class Replicas : IDisposable
    {
        private readonly TempDir _dir;
        private readonly List<(string Key, string Id)> _identities;
        private readonly List<LkvChild> _started = [];
        private readonly Dictionary<string, (string From, string To, long Amount)> _appended = [];

        public Replicas(TempDir dir, int count)
        {
            _dir = dir;
            _identities = [.. Enumerable.Range(0, count).Select(i =>
            {
                using var identity = SyncIdentity.Create($"r{i}");
                return (identity.Save(dir.Path).KeyPath, identity.PeerId);
            })];
            Children = new LkvChild[count];
            Ports = new int[count];
            try
            {
                for (int i = 0; i < count; i++) Start(i);
            }
            catch
            {
                Dispose(); // no process outlives a failed start
                throw;
            }
        }

        public LkvChild[] Children { get; }

        public int[] Ports { get; }

        /// <summary>Starts (or restarts, on the same database) replica <paramref name="i"/>.</summary>
        public void Start(int i)
        {
            var args = new List<string> { "ledger-sync-child", _dir.Sub($"r{i}"), "--identity", _identities[i].Key, "--trust" };
            args.AddRange(_identities.Where((_, j) => j != i).Select(x => x.Id));
            var child = new LkvChild([.. args]);
            _started.Add(child);
            Children[i] = child;
            Ports[i] = int.Parse(child.Expect("LISTEN ", Timeout).AsSpan(7), CultureInfo.InvariantCulture);
        }

        public void Append(int i, string txid, string from, string to, long amount)
        {
            _appended[txid] = (from, to, amount);
            Children[i].Send($"APPEND {txid} {from} {to} {amount.ToString(CultureInfo.InvariantCulture)}");
        }

        public void Bulk(int i, string prefix, int count)
        {
            for (int n = 0; n < count; n++)
            {
                var tx = LedgerSyncChild.BulkPayment(prefix, n);
                _appended[tx.TransactionId] = (tx.Postings[0].Account, tx.Postings[1].Account, (long)tx.Postings[1].Amount);
            }
            Children[i].Send($"BULK {prefix} {count.ToString(CultureInfo.InvariantCulture)}");
            Children[i].Expect("BULKED ", Timeout);
        }

        /// <summary>Starts one sync round of <paramref name="from"/> with <paramref name="to"/>'s server, at <paramref name="port"/> when it is behind a proxy.</summary>
        public void SendSync(int from, int to, int? port = null)
            => Children[from].Send($"SYNC 127.0.0.1:{(port ?? Ports[to]).ToString(CultureInfo.InvariantCulture)}@{_identities[to].Id}");

        /// <summary>One sync round of <paramref name="from"/> with <paramref name="to"/>, to its end.</summary>
        public void Sync(int from, int to)
        {
            SendSync(from, to);
            string result = Children[from].Expect("SYNC", Timeout);
            Assert.True(result == "SYNCED", $"replica {from} syncing with {to}: {result}");
        }

        public string State(int i)
        {
            Children[i].Send("STATE");
            return Children[i].Expect("S ", Timeout);
        }

        /// <summary>The state line every converged replica must print: each distinct transaction once, balances their fold.</summary>
        public (long Records, string Balances) Expected()
        {
            var balances = LedgerSyncChild.Accounts.ToDictionary(a => a, _ => 0L);
            foreach (var (from, to, amount) in _appended.Values)
            {
                balances[from] -= amount;
                balances[to] += amount;
            }
            return (_appended.Count, string.Join(",", LedgerSyncChild.Accounts.Select(a => a + "=" + balances[a].ToString(CultureInfo.InvariantCulture))));
        }

        public void Dispose()
        {
            foreach (var child in _started) child.Dispose();
        }
    }

    [Fact]
    public void SyncWith_ThreeProcesses_ConvergeCountingSharedTransactionsOnce()
    {
        using var dir = new TempDir("ledger-3proc");
        using var replicas = new Replicas(dir, 3);
        for (int i = 0; i < 3; i++)
        {
            replicas.Append(i, "shared-1", "alice", "bob", 10);
            replicas.Append(i, "shared-2", "bob", "carol", 7);
            replicas.Append(i, $"own-{i}", LedgerSyncChild.Accounts[i], "dave", 3 + i);
        }
        replicas.Append(0, "pair", "carol", "alice", 4);
        replicas.Append(1, "pair", "carol", "alice", 4);
        replicas.Bulk(1, "bulk1", 300);
        replicas.Bulk(2, "bulk2", 200);

        // A ring of rounds (each round pulls and pushes): 1 with 0, 2 with 1, 0 with 2 reaches everyone.
        var states = new string[3];
        for (int pass = 0; pass < 3; pass++)
        {
            replicas.Sync(1, 0);
            replicas.Sync(2, 1);
            replicas.Sync(0, 2);
            for (int i = 0; i < 3; i++) states[i] = replicas.State(i);
            if (states.Distinct().Count() == 1) break;
        }

        AssertConverged(replicas, states);
    }

    [Fact]
    public void SyncWith_ReceiverKilledMidSyncAndRestarted_ConvergesCountingOnce()
    {
        using var dir = new TempDir("ledger-2proc-kill");
        using var replicas = TwoReplicas(dir, 3000, 100);

        // Replica 1 is killed once part of replica 0's transactions have arrived and been
        // applied: mid-round, while its ledger folds what sync stores.
        replicas.Children[1].Send("WATCH 200");
        replicas.SendSync(1, 0);
        replicas.Children[1].Expect("RECEIVED 200", Timeout);
        replicas.Children[1].Kill();

        // Reopened, it has folded whatever part of the round it had applied, each once.
        replicas.Start(1);
        var recovered = replicas.State(1).Split(' ');
        output.WriteLine($"after the kill replica 1 holds {recovered[1]} of {replicas.Expected().Records} transactions");
        Assert.True(recovered[2] == "True", "VerifyBalances after the kill: " + string.Join(' ', recovered));
        replicas.Sync(1, 0);
        var states = new[] { replicas.State(0), replicas.State(1) };
        if (states.Distinct().Count() != 1)
        {
            replicas.Sync(0, 1);
            states = [replicas.State(0), replicas.State(1)];
        }

        AssertConverged(replicas, states);
    }

    [Fact]
    public async Task SyncWith_ConnectionsDroppedMidSync_ResumesAndConvergesCountingOnce()
    {
        using var dir = new TempDir("ledger-2proc-drop");
        int seed = TestSeed.Get(74);
        using var replicas = TwoReplicas(dir, 2000, 500);
        await using var proxy = new FaultProxy(new IPEndPoint(IPAddress.Loopback, replicas.Ports[0]));

        // Rounds through a proxy that cuts the connection at a random TLS record (both sides
        // closed, nothing more forwarded), then rounds through a healthy proxy until one completes.
        proxy.UseRandomFaults(seed, 0.1, RecordFault.Drop);
        var results = new List<string>();
        for (int round = 0; round < 3; round++)
        {
            replicas.SendSync(1, 0, proxy.Port);
            results.Add(replicas.Children[1].Expect("SYNC", Timeout));
        }
        proxy.UseRandomFaults(seed, 0.0);
        for (int round = 0; round < 3 && results[^1] != "SYNCED"; round++)
        {
            replicas.SendSync(1, 0, proxy.Port);
            results.Add(replicas.Children[1].Expect("SYNC", Timeout));
        }
        output.WriteLine($"seed={seed}: rounds {string.Join(", ", results)}; connections dropped {proxy.Count(RecordFault.Drop)}");
        Assert.True(proxy.Count(RecordFault.Drop) > 0 && results.Any(r => r.StartsWith("SYNCFAIL ", StringComparison.Ordinal)), $"seed={seed}: no round was cut: {string.Join(", ", results)}");
        Assert.Equal("SYNCED", results[^1]);

        AssertConverged(replicas, [replicas.State(0), replicas.State(1)]);
    }

    [Fact]
    public void Help_LedgerSyncChild_IsHidden()
    {
        var top = Lkv.Run("--help");

        Assert.Equal(0, top.ExitCode);
        Assert.DoesNotContain("ledger-sync-child", top.Stdout, StringComparison.Ordinal);
    }

    /// <summary>Two replicas holding one transaction appended on both, one of replica 1's own, and bulk payments of each.</summary>
    private static Replicas TwoReplicas(TempDir dir, int bulk0, int bulk1)
    {
        var replicas = new Replicas(dir, 2);
        try
        {
            replicas.Append(0, "shared", "alice", "bob", 25);
            replicas.Append(1, "shared", "alice", "bob", 25);
            replicas.Append(1, "own-1", "dave", "carol", 9);
            replicas.Bulk(0, "bulk0", bulk0);
            replicas.Bulk(1, "bulk1", bulk1);
            return replicas;
        }
        catch
        {
            replicas.Dispose();
            throw;
        }
    }

    private void AssertConverged(Replicas replicas, string[] states)
    {
        var (records, balances) = replicas.Expected();
        output.WriteLine(string.Join("\n", states));
        for (int i = 0; i < states.Length; i++)
        {
            var words = states[i].Split(' ');
            Assert.True(records.ToString(CultureInfo.InvariantCulture) == words[1], $"replica {i} holds {words[1]} transactions, {records} were appended: {states[i]}");
            Assert.True(words[2] == "True", $"replica {i}'s VerifyBalances found problems: {states[i]}");
            Assert.Equal(balances, words[4]);
            Assert.Equal(states[0].Split(' ')[3], words[3]);
        }
    }
}
