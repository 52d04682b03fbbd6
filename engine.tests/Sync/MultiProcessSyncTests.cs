using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using LatticeKV.Tests.Support;
using LatticeKV.Tool.Crash;
using Xunit.Abstractions;

namespace LatticeKV.Tests.Sync;

/// <summary>
/// Three replicas in three processes (lkv sync-child) on loopback, each behind a fault-injecting
/// proxy, writing puts, deletes, batches and balance increments while their sync agents keep them
/// in sync over TLS; one is killed with SIGKILL mid-run and restarted. Afterwards every replica
/// holds the same data, every acknowledged write is in every replica's change log, and each
/// balance equals the sum of every increment in the log, each counted once.
/// </summary>
public sealed class MultiProcessSyncTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ThreeProcesses_FaultyLinksAndAKilledReplica_ConvergeWithEveryAcknowledgedWrite()
    {
        using var dir = new TempDir("sync-3proc");
        int seed = TestSeed.Get(2020);
        var timeout = TimeSpan.FromSeconds(60);
        var identities = Enumerable.Range(0, 3).Select(i =>
        {
            using var id = SyncIdentity.Create($"r{i}");
            return (Key: id.Save(dir.Path).KeyPath, Id: id.PeerId);
        }).ToList();
        const int Writes = 300;
        var ports = new int[3];
        var children = new LkvChild?[3];
        var proxies = new FaultProxy[3];
        var retired = new List<LkvChild>();
        var lastOwn = new Dictionary<string, ulong>();
        var applied = new Dictionary<string, Dictionary<string, ulong>>();
        LkvChild StartChild(int i, int port, int writes, int childSeed)
        {
            var args = new List<string> { "sync-child", dir.Sub($"r{i}"), "--identity", identities[i].Key, "--port", port.ToString(CultureInfo.InvariantCulture),
                "--seed", childSeed.ToString(CultureInfo.InvariantCulture), "--writes", writes.ToString(CultureInfo.InvariantCulture), "--trust" };
            args.AddRange(identities.Where((_, j) => j != i).Select(x => x.Id));
            var child = new LkvChild([.. args]);
            ports[i] = int.Parse(child.Expect("LISTEN ", timeout).AsSpan(7), CultureInfo.InvariantCulture);
            return child;
        }
        void Connect(int i)
        {
            for (int j = 0; j < 3; j++)
                if (j != i) children[i]!.Send($"PEER 127.0.0.1:{proxies[j].Port}@{identities[j].Id}");
            children[i]!.Send("START");
        }
        try
        {
            for (int i = 0; i < 3; i++) children[i] = StartChild(i, 0, Writes, seed * 10 + i);
            for (int i = 0; i < 3; i++)
            {
                proxies[i] = new FaultProxy(new IPEndPoint(IPAddress.Loopback, ports[i])) { Delay = TimeSpan.FromMilliseconds(50), SwapWait = TimeSpan.FromMilliseconds(50) };
                proxies[i].UseRandomFaults(seed + i, 0.2, RecordFault.Drop, RecordFault.Delay, RecordFault.Duplicate, RecordFault.Swap, RecordFault.Truncate, RecordFault.Corrupt);
            }
            for (int i = 0; i < 3; i++) Connect(i);

            // Replica 2 is killed once it has acknowledged some writes, and restarted on the same
            // database and port with the rest of its writes.
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                int acked;
                lock (children[2]!.Acknowledged) acked = children[2]!.Acknowledged.Count;
                if (acked >= Writes / 3) break;
                Assert.True(deadline.Elapsed < timeout, "replica 2 did not write");
                await Task.Yield();
            }
            children[2]!.Kill();
            retired.Add(children[2]!);
            int done = children[2]!.Acknowledged.Count;
            children[2] = StartChild(2, ports[2], Writes - done, seed * 10 + 7);
            Connect(2);

            foreach (var child in children) child!.Expect("WROTE", timeout);
            for (int i = 0; i < 3; i++) proxies[i].UseRandomFaults(seed, 0.0);
            // Converged: every replica reports the same digest (asked again until they agree).
            var digests = new string[3];
            deadline.Restart();
            while (true)
            {
                for (int i = 0; i < 3; i++)
                {
                    children[i]!.Send("DIGEST");
                    digests[i] = children[i]!.Expect("D ", timeout)[2..];
                }
                if (digests.Distinct().Count() == 1) break;
                Assert.True(deadline.Elapsed < timeout, "the replicas did not converge: " + string.Join(", ", digests));
                await Task.Delay(100);
            }
            foreach (var child in children) child!.Send("EXIT");
            foreach (var child in children)
            {
                var mine = child!.Expect("MINE ", timeout).Split(' ');
                lastOwn[mine[1]] = ulong.Parse(mine[2], CultureInfo.InvariantCulture);
                var has = new Dictionary<string, ulong>();
                for (var line = child.Expect("", timeout); line != "BYE"; line = child.Expect("", timeout))
                {
                    var parts = line.Split(' ');
                    if (parts[0] == "HAS") has[parts[1]] = ulong.Parse(parts[2], CultureInfo.InvariantCulture);
                }
                applied[mine[1]] = has;
            }
            int faults = proxies.Sum(p => p.TotalFaults);
            output.WriteLine($"seed={seed}: converged; proxy faults: " + string.Join(", ", Enum.GetValues<RecordFault>().Select(k => $"{k} {proxies.Sum(p => p.Count(k))}")) +
                $"; connections through proxies: {proxies.Sum(p => p.Connections)}");
        }
        finally
        {
            foreach (var c in children) c?.Dispose();
            foreach (var c in retired) c.Dispose();
            foreach (var p in proxies) if (p is not null) await p.DisposeAsync();
        }

        // Every replica has every other's changes up to its last (each origin's changes are a prefix, so all of them).
        foreach (var (replica, has) in applied)
            foreach (var (origin, last) in lastOwn)
                if (origin != replica) Assert.True(has.GetValueOrDefault(origin) >= last, $"seed={seed}: replica {replica} has {origin}'s changes up to {has.GetValueOrDefault(origin)}, it wrote up to {last}");
        // Balances: the same everywhere (the digests), and every acknowledged increment counted once; only a
        // write the killed process made but could not acknowledge may add to it.
        var acknowledged = children.Concat(retired).SelectMany(c => c!.Acknowledged).ToList();
        long ackedTotal = acknowledged.Where(a => a.StartsWith("A merge ", StringComparison.Ordinal)).Sum(a => long.Parse(a.Split(' ')[3], CultureInfo.InvariantCulture));
        for (int i = 0; i < 3; i++)
        {
            using var db = LatticeDb.Open(dir.Sub($"r{i}"), SyncChild.Options(null));
            var (kv, bal) = SyncChild.Families(db);
            long total = 0;
            for (int b = 0; b < 5; b++)
                if (db.Get(bal, Encoding.ASCII.GetBytes($"b{b}")) is { } v) total += BinaryPrimitives.ReadInt64LittleEndian(v);
            Assert.True(total >= ackedTotal && total <= ackedTotal + 1000, $"seed={seed}: replica {i}'s balances sum to {total}, acknowledged increments to {ackedTotal}");
            // The last value of each key is one some replica wrote (never a value made up or half applied).
            var written = acknowledged.Where(a => a.StartsWith("A put ", StringComparison.Ordinal)).Select(a => a.Split(' ')[3]).ToHashSet();
            using var it = db.NewIterator(kv);
            for (it.SeekToFirst(); it.Valid; it.Next())
            {
                string value = Encoding.ASCII.GetString(it.Value);
                Assert.True(written.Contains(value) || value.Contains("-" + (seed * 10 + 2).ToString(CultureInfo.InvariantCulture) + "-", StringComparison.Ordinal),
                    $"seed={seed}: replica {i} holds '{value}', which no process acknowledged");
            }
        }
    }
}
