using System.Diagnostics;
using System.Globalization;

namespace LatticeKV.Tool.Crash;

/// <summary>What a crash run did and found.</summary>
public sealed record CrashReport(int Cycles, long BatchesAcked, long BatchesInFlightAtKill, int GroupsChecked, IReadOnlyList<string> Violations)
{
    public bool Ok => Violations.Count == 0;
}

/// <summary>
/// Runs the crash workload in child processes, kills each with SIGKILL at a random moment,
/// reopens the database and checks it against what the child acknowledged: every group holds
/// its last acknowledged batch or the batch that was in flight, and all keys of a group agree
/// (no batch is half-applied). The expected state lives only in this parent process.
/// </summary>
public sealed class CrashHarness(string dbPath, int seed, string childAssembly)
{
    private readonly Dictionary<int, long> _acked = [];          // group -> batch id (negative: deleted by that batch)
    private readonly Dictionary<long, (int Group, bool Delete)> _begun = [];
    private readonly Random _rnd = new(seed);
    private long _nextBatch = 1;

    public int Threads { get; init; } = 4;
    public int Groups { get; init; } = 400;
    public int ColumnFamilies { get; init; } = 3;
    public bool Sync { get; init; }
    public int MinRunMs { get; init; } = 40;
    public int MaxRunMs { get; init; } = 400;
    public Action<string>? Log { get; init; }

    public CrashReport Run(int cycles, TimeSpan? budget = null)
    {
        var violations = new List<string>();
        var clock = Stopwatch.StartNew();
        long acked = 0, inFlight = 0;
        int done = 0;
        for (int cycle = 0; cycle < cycles && violations.Count == 0; cycle++)
        {
            if (budget is { } b && clock.Elapsed > b) break;
            var (ackCount, pending) = RunChildUntilKilled(cycle);
            acked += ackCount;
            inFlight += pending.Count;
            violations.AddRange(Verify(pending, cycle));
            done++;
            Log?.Invoke($"cycle {cycle}: {ackCount} acked, {pending.Count} in flight at kill, {violations.Count} violations");
        }
        return new CrashReport(done, acked, inFlight, _acked.Count, violations);
    }

    private (long Acked, Dictionary<int, (long Id, bool Delete)> Pending) RunChildUntilKilled(int cycle)
    {
        var psi = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[]
        {
            childAssembly, "crash-child", dbPath,
            "--seed", (seed * 1000 + cycle).ToString(CultureInfo.InvariantCulture),
            "--first-batch", _nextBatch.ToString(CultureInfo.InvariantCulture),
            "--groups", Groups.ToString(CultureInfo.InvariantCulture),
            "--threads", Threads.ToString(CultureInfo.InvariantCulture),
            "--column-families", ColumnFamilies.ToString(CultureInfo.InvariantCulture),
        }) psi.ArgumentList.Add(a);
        if (Sync) psi.ArgumentList.Add("--sync");

        using var child = Process.Start(psi) ?? throw new InvalidOperationException("could not start the crash child");
        var pending = new Dictionary<int, (long Id, bool Delete)>();
        long ackCount = 0;
        var firstAck = new ManualResetEventSlim();
        var gate = new object();
        var reader = new Thread(() =>
        {
            string? line;
            while ((line = child.StandardOutput.ReadLine()) is not null)
            {
                var parts = line.Split(' ');
                lock (gate)
                {
                    if (parts is ["B", var id, var group, var del] && long.TryParse(id, out long bid) && int.TryParse(group, out int g))
                    {
                        _begun[bid] = (g, del == "1");
                        pending[g] = (bid, del == "1");
                        _nextBatch = Math.Max(_nextBatch, bid + 1);
                    }
                    else if (parts is ["A", var aid] && long.TryParse(aid, out long ack) && _begun.Remove(ack, out var info))
                    {
                        _acked[info.Group] = info.Delete ? -ack : ack;
                        if (pending.TryGetValue(info.Group, out var p) && p.Id == ack) pending.Remove(info.Group);
                        ackCount++;
                        firstAck.Set();
                    }
                }
            }
        }) { IsBackground = true };
        reader.Start();
        var stderr = child.StandardError.ReadToEndAsync();

        // Kill at a random moment once the workload is writing (or if it never starts).
        firstAck.Wait(TimeSpan.FromSeconds(20));
        int wait = _rnd.Next(MinRunMs, MaxRunMs);
        if (child.WaitForExit(wait))
            throw new InvalidOperationException("crash child exited by itself: " + stderr.Result);
        child.Kill(entireProcessTree: true);
        child.WaitForExit();
        reader.Join();
        if (ackCount == 0) throw new InvalidOperationException("crash child acknowledged nothing before it was killed: " + stderr.Result);
        lock (gate) return (ackCount, new Dictionary<int, (long, bool)>(pending));
    }

    private List<string> Verify(Dictionary<int, (long Id, bool Delete)> pending, int cycle)
    {
        var violations = new List<string>();
        using var db = LatticeDb.Open(dbPath, new DbOptions { CreateIfMissing = false });
        var groups = _acked.Keys.Union(pending.Keys).ToList();
        foreach (int g in groups)
        {
            string cfName = CrashProtocol.ColumnFamily(g, ColumnFamilies);
            if (!db.TryGetColumnFamily(cfName, out var cf))
            {
                violations.Add($"cycle {cycle}: column family {cfName} is missing");
                continue;
            }
            long? state = null;
            bool consistent = true;
            for (int m = 0; m < CrashProtocol.KeysPerGroup; m++)
            {
                var v = db.Get(cf, CrashProtocol.Key(g, m));
                long memberState = v is null ? 0 : CrashProtocol.ParseValue(v);
                if (v is not null && !v.AsSpan().SequenceEqual(CrashProtocol.Value(memberState, m)))
                    violations.Add($"cycle {cycle}: group {g} member {m} holds a damaged value");
                if (state is null) state = memberState;
                else if (state != memberState) consistent = false;
            }
            if (!consistent)
            {
                violations.Add($"cycle {cycle}: group {g} is half-applied (members disagree)");
                continue;
            }
            long have = state ?? 0;
            long expected = _acked.GetValueOrDefault(g);
            bool matchesAcked = have == Math.Max(0, expected) || (expected < 0 && have == 0);
            bool matchesPending = pending.TryGetValue(g, out var p) && (p.Delete ? have == 0 : have == p.Id);
            if (!matchesAcked && !matchesPending)
            {
                violations.Add($"cycle {cycle}: group {g} holds batch {have}, acknowledged {expected}" +
                    (pending.ContainsKey(g) ? $", in flight {p.Id}{(p.Delete ? " (delete)" : "")}" : ""));
                continue;
            }
            // What is on disk now is what the next cycle must find (an in-flight batch that
            // survived is as good as acknowledged).
            if (matchesPending && !matchesAcked) _acked[g] = p.Delete ? -p.Id : p.Id;
        }
        _begun.Clear();
        return violations;
    }

    private static string DotnetHost()
        => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
}
