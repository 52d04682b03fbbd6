using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace LatticeKV.Tool.Crash;

/// <summary>What a crash run did and found.</summary>
public sealed record CrashReport(int Cycles, long OperationsAcked, long OperationsInFlightAtKill, int GroupsChecked, IReadOnlyList<string> Violations)
{
    public bool Ok => Violations.Count == 0;
}

/// <summary>
/// Runs the workload in child processes, kills each with SIGKILL at a random moment, reopens the
/// database and checks it against the expected state this parent keeps (also written to
/// <c>expected-state.txt</c> beside the database after every cycle): every group holds its last
/// acknowledged state or the effect of the one operation in flight on it, every group is whole,
/// and an in-flight operation touching several groups is applied to all of them or none.
/// </summary>
public sealed class CrashHarness(string dbPath, int seed, string childAssembly)
{
    // Group -> state: 0 never written or deleted, else the id of the operation whose values it holds.
    private readonly Dictionary<int, long> _acked = [];
    private readonly Random _rnd = new(seed);
    private long _nextId = 1;
    private int _cycle;

    public int Threads { get; init; } = 4;
    public int Groups { get; init; } = 400;
    public int ColumnFamilies { get; init; } = 3;
    public bool Sync { get; init; }
    public int MinRunMs { get; init; } = 40;
    public int MaxRunMs { get; init; } = 400;
    public Action<string>? Log { get; init; }

    private sealed record Op(long Id, char Kind, int[] Groups);

    /// <summary>
    /// Runs up to <paramref name="cycles"/> kill cycles. Calling it again continues on the same
    /// database with the expected state carried over, so a long torture run keeps one growing
    /// database (with deeper levels) instead of starting afresh.
    /// </summary>
    public CrashReport Run(int cycles, TimeSpan? budget = null)
    {
        var violations = new List<string>();
        var clock = Stopwatch.StartNew();
        long acked = 0, inFlight = 0;
        int done = 0;
        for (int i = 0; i < cycles && violations.Count == 0; i++)
        {
            if (budget is { } b && clock.Elapsed > b) break;
            int cycle = _cycle++;
            var (ackCount, pending, childFailure) = RunChildUntilKilled(cycle);
            acked += ackCount;
            inFlight += pending.Count;
            if (childFailure is not null) violations.Add($"cycle {cycle}: the child's own check failed: {childFailure}");
            violations.AddRange(Verify(pending, cycle));
            WriteExpectedState(cycle);
            done++;
            Log?.Invoke($"cycle {cycle}: {ackCount} acknowledged, {pending.Count} in flight at the kill, {violations.Count} violations");
        }
        return new CrashReport(done, acked, inFlight, _acked.Count, violations);
    }

    private (long Acked, List<Op> Pending, string? ChildFailure) RunChildUntilKilled(int cycle)
    {
        var psi = new ProcessStartInfo(DotnetHost()) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[]
        {
            childAssembly, "crash-child", dbPath,
            "--seed", (seed * 1000 + cycle).ToString(CultureInfo.InvariantCulture),
            "--first-batch", _nextId.ToString(CultureInfo.InvariantCulture),
            "--groups", Groups.ToString(CultureInfo.InvariantCulture),
            "--threads", Threads.ToString(CultureInfo.InvariantCulture),
            "--column-families", ColumnFamilies.ToString(CultureInfo.InvariantCulture),
        }) psi.ArgumentList.Add(a);
        if (Sync) psi.ArgumentList.Add("--sync");

        using var child = Process.Start(psi) ?? throw new InvalidOperationException("could not start the crash child");
        var begun = new Dictionary<long, Op>();
        long ackCount = 0;
        string? failure = null;
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
                    if (parts is [("P" or "D") and var kind, var id, var groups] && long.TryParse(id, out long opId))
                    {
                        begun[opId] = new Op(opId, kind[0], [.. groups.Split(',').Select(int.Parse)]);
                        _nextId = Math.Max(_nextId, opId + 1);
                    }
                    else if (parts is ["R", var rid, var cf, var from, var to] && long.TryParse(rid, out long rangeId))
                    {
                        int c = int.Parse(cf, CultureInfo.InvariantCulture), f = int.Parse(from, CultureInfo.InvariantCulture), t = int.Parse(to, CultureInfo.InvariantCulture);
                        begun[rangeId] = new Op(rangeId, 'D', [.. Enumerable.Range(f, t - f).Where(g => CrashProtocol.ColumnFamilyIndex(g, ColumnFamilies) == c)]);
                        _nextId = Math.Max(_nextId, rangeId + 1);
                    }
                    else if (parts is ["A", var aid] && long.TryParse(aid, out long ack) && begun.Remove(ack, out var op))
                    {
                        foreach (int g in op.Groups) _acked[g] = op.Kind == 'P' ? op.Id : 0;
                        ackCount++;
                        firstAck.Set();
                    }
                    else if (line.StartsWith("X ", StringComparison.Ordinal))
                    {
                        failure = line[2..];
                        firstAck.Set();
                    }
                }
            }
        }) { IsBackground = true };
        reader.Start();
        var stderr = child.StandardError.ReadToEndAsync();

        // Kill at a random moment once the workload is writing.
        firstAck.Wait(TimeSpan.FromSeconds(20));
        int wait = _rnd.Next(MinRunMs, MaxRunMs);
        if (child.WaitForExit(wait))
        {
            reader.Join();
            return (ackCount, [], failure ?? $"the child exited by itself (code {child.ExitCode}): {stderr.Result}");
        }
        child.Kill(entireProcessTree: true);
        child.WaitForExit();
        reader.Join();
        if (ackCount == 0 && failure is null) failure = "nothing was acknowledged before the kill: " + stderr.Result;
        lock (gate) return (ackCount, [.. begun.Values], failure);
    }

    private List<string> Verify(List<Op> pending, int cycle)
    {
        var violations = new List<string>();
        LatticeDb db;
        try
        {
            db = LatticeDb.Open(dbPath, new DbOptions { CreateIfMissing = false });
        }
        catch (LatticeException ex)
        {
            return [$"cycle {cycle}: the database does not open after the kill: {ex.Message}"];
        }
        using (db)
        {
            var state = new Dictionary<int, long>();
            var pendingByGroup = new Dictionary<int, Op>();
            foreach (var op in pending)
                foreach (int g in op.Groups) pendingByGroup[g] = op;
            foreach (int g in _acked.Keys.Union(pendingByGroup.Keys))
            {
                var cf = db.GetColumnFamily(CrashProtocol.ColumnFamily(g, ColumnFamilies));
                long? groupState = null;
                for (int m = 0; m < CrashProtocol.KeysPerGroup; m++)
                {
                    var v = db.Get(cf, CrashProtocol.Key(g, m));
                    long memberState = v is null ? 0 : CrashProtocol.ParseValue(v);
                    if (v is not null && !v.AsSpan().SequenceEqual(CrashProtocol.Value(memberState, m)))
                        violations.Add($"cycle {cycle}: group {g} member {m} holds a damaged value");
                    if (groupState is null) groupState = memberState;
                    else if (groupState != memberState) violations.Add($"cycle {cycle}: group {g} is half-applied (members hold {groupState} and {memberState})");
                }
                long have = groupState ?? 0;
                state[g] = have;
                long expected = _acked.GetValueOrDefault(g);
                bool matchesPending = pendingByGroup.TryGetValue(g, out var p) && have == Effect(p);
                if (have != expected && !matchesPending)
                    violations.Add($"cycle {cycle}: group {g} holds {have}, acknowledged {expected}" + (p is null ? "" : $", in flight {p.Kind} {p.Id}"));
            }
            // An operation in flight is all-or-nothing across its groups (ignoring groups where it would change nothing).
            foreach (var op in pending)
            {
                var informative = op.Groups.Where(g => _acked.GetValueOrDefault(g) != Effect(op)).ToList();
                int applied = informative.Count(g => state[g] == Effect(op));
                if (applied > 0 && applied < informative.Count)
                    violations.Add($"cycle {cycle}: in-flight operation {op.Kind} {op.Id} applied to {applied} of {informative.Count} groups");
                if (applied == informative.Count)
                    foreach (int g in op.Groups) _acked[g] = Effect(op); // survived: as good as acknowledged
            }
        }
        return violations;
    }

    private static long Effect(Op op) => op.Kind == 'P' ? op.Id : 0;

    private void WriteExpectedState(int cycle)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"# expected state after cycle {cycle}, seed {seed}: group = operation id (0 = absent)\n");
        foreach (var (g, v) in _acked.OrderBy(kv => kv.Key)) sb.Append(CultureInfo.InvariantCulture, $"{g} = {v}\n");
        // Beside the database's own files (the engine ignores files it does not know).
        File.WriteAllText(Path.Combine(dbPath, "expected-state.txt"), sb.ToString());
    }

    private static string DotnetHost()
        => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
}
