using System.Buffers.Binary;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Replication;

/// <summary>
/// Replicas exchanging changes (in process, as sync sessions do) converge: same data in every
/// replicated family, balances equal to the sum of every increment, conflicts settled the same
/// way everywhere and recorded.
/// </summary>
public sealed class ConvergenceTests
{
    private static ColumnFamilyOptions Kv(ConflictResolver? resolver = null) => new() { Replicated = true, ConflictResolver = resolver, MergeOperator = MergeOperators.StringAppendWith("+"u8) };

    private static ColumnFamilyOptions Balances() => new() { Replicated = true, MergeOperator = MergeOperators.Int64Add };

    private static byte[] Int64(long v) => Merge.MergeSupport.I64(v);

    private static List<LatticeDb> OpenReplicas(TempDir dir, int count, ConflictResolver? resolver = null)
    {
        var dbs = new List<LatticeDb>();
        for (int i = 0; i < count; i++)
        {
            var db = LatticeDb.Open(dir.Sub($"r{i}"), new DbOptions { WriteBufferSize = 64 * 1024 });
            db.CreateColumnFamily("kv", Kv(resolver));
            db.CreateColumnFamily("bal", Balances());
            dbs.Add(db);
        }
        return dbs;
    }

    private static ConflictResolver ResolverNamed(string name) => name switch
    {
        "keep-both" => ConflictResolver.KeepBoth,
        "merge" => ConflictResolver.Merge,
        "longest" => ConflictResolver.Custom("longest", c => (c.LocalValue?.Length ?? -1) > (c.RemoteValue?.Length ?? -1) ? c.LocalValue : c.RemoteValue),
        _ => ConflictResolver.LastWriterWins,
    };

    [Theory]
    [InlineData("lww")]
    [InlineData("keep-both")]
    [InlineData("merge")]
    [InlineData("longest")]
    public void ThreeReplicas_RandomWritesAndExchanges_ConvergeWithExactBalances(string resolver)
    {
        using var dir = new TempDir("converge");
        int seed = TestSeed.Get(2010);
        var rnd = new Random(seed);
        var dbs = OpenReplicas(dir, 3, ResolverNamed(resolver));
        try
        {
            var sums = new long[5];
            var written = new HashSet<string>();
            for (int step = 0; step < 600 * TestSeed.Scale; step++)
            {
                var db = dbs[rnd.Next(3)];
                var kv = db.GetColumnFamily("kv");
                switch (rnd.Next(10))
                {
                    case < 4:
                        string value = $"r{dbs.IndexOf(db)}-{step}" + new string('x', rnd.Next(3));
                        written.Add(value);
                        db.Put(kv, B($"k{rnd.Next(15)}"), B(value));
                        break;
                    case 4: db.Delete(kv, B($"k{rnd.Next(15)}")); break;
                    case < 8:
                        int b = rnd.Next(5);
                        long amount = rnd.Next(1, 1000);
                        sums[b] += amount;
                        db.Merge(db.GetColumnFamily("bal"), B($"b{b}"), Int64(amount));
                        break;
                    default:
                        int from = rnd.Next(3), to = (from + 1 + rnd.Next(2)) % 3;
                        InProcessSync.Pull(dbs[from], dbs[to], batchSize: 1 + rnd.Next(20));
                        break;
                }
            }
            InProcessSync.Converge(dbs);

            var first = dbs[0];
            foreach (var other in dbs.Skip(1))
            {
                Assert.Equal(TestDb.Contents(first, first.GetColumnFamily("kv")), TestDb.Contents(other, other.GetColumnFamily("kv")));
                Assert.Equal(TestDb.Contents(first, first.GetColumnFamily("bal")), TestDb.Contents(other, other.GetColumnFamily("bal")));
            }
            foreach (var db in dbs)
                for (int b = 0; b < 5; b++)
                {
                    var stored = db.Get(db.GetColumnFamily("bal"), B($"b{b}"));
                    Assert.Equal(sums[b], stored is null ? 0 : BinaryPrimitives.ReadInt64LittleEndian(stored));
                }
            // Concurrent puts happened and were settled, each recorded with the value that lost.
            var history = dbs.SelectMany(d => d.GetConflictHistory()).ToList();
            Assert.NotEmpty(history);
            Assert.All(history.Where(h => h.Outcome is ConflictOutcome.RemoteWon or ConflictOutcome.LocalKept or ConflictOutcome.Combined && h.LoserValue is not null),
                h => Assert.True(resolver is "merge" or "longest" || written.Contains(S(h.LoserValue)!), $"seed={seed}: a recorded loser {S(h.LoserValue)} that was never written"));
            if (resolver == "keep-both")
                foreach (var db in dbs)
                    for (int k = 0; k < 15; k++)
                        Assert.Equal(dbs[0].GetConflicts(dbs[0].GetColumnFamily("kv"), B($"k{k}")).Select(c => S(c.Value)).Order(),
                            db.GetConflicts(db.GetColumnFamily("kv"), B($"k{k}")).Select(c => S(c.Value)).Order());
        }
        finally
        {
            dbs.ForEach(d => d.Dispose());
        }
    }

    /// <summary>The value of the change that wins by clock among each database's last change (timestamp, then origin id).</summary>
    private static string LaterOf(params LatticeDb[] dbs)
        => S(dbs.Select(d => d.GetChanges(ChangeCursor.Beginning).Last()).OrderBy(c => c.Timestamp).ThenBy(c => c.Origin).Last().Value)!;

    [Fact]
    public void ConcurrentPuts_LastWriterWinsEverywhere_AndANewerWriteAfterSeeingBothIsNotAConflict()
    {
        using var dir = new TempDir("converge-lww");
        var dbs = OpenReplicas(dir, 2);
        try
        {
            var (a, b) = (dbs[0], dbs[1]);
            a.Put(a.GetColumnFamily("kv"), B("k"), B("from-a"));
            b.Put(b.GetColumnFamily("kv"), B("k"), B("from-b"));
            string winner = LaterOf(a, b), loser = winner == "from-a" ? "from-b" : "from-a";
            var (winning, losing) = winner == "from-a" ? (a, b) : (b, a);
            InProcessSync.Converge(dbs);
            Assert.Equal(winner, S(a.Get(a.GetColumnFamily("kv"), B("k"))));
            Assert.Equal(winner, S(b.Get(b.GetColumnFamily("kv"), B("k"))));
            var record = Assert.Single(losing.GetConflictHistory());
            Assert.Equal(ConflictOutcome.RemoteWon, record.Outcome);
            Assert.Equal(loser, S(record.LoserValue));
            Assert.Equal(winning.ReplicaId, record.Winner.Origin);
            Assert.Equal(ConflictOutcome.LocalKept, Assert.Single(winning.GetConflictHistory()).Outcome);

            // a has now seen b's write: its next write follows it, with no conflict anywhere.
            a.Put(a.GetColumnFamily("kv"), B("k"), B("after"));
            InProcessSync.Converge(dbs);
            Assert.Equal("after", S(b.Get(b.GetColumnFamily("kv"), B("k"))));
            Assert.Single(b.GetConflictHistory()); // nothing new to settle
            // Deletes carry clocks too: a delete that saw the value removes it everywhere.
            b.Delete(b.GetColumnFamily("kv"), B("k"));
            InProcessSync.Converge(dbs);
            Assert.Null(a.Get(a.GetColumnFamily("kv"), B("k")));
        }
        finally
        {
            dbs.ForEach(d => d.Dispose());
        }
    }

    [Fact]
    public void KeepBoth_KeepsTheLoserAsASiblingOnEveryReplica_UntilTheKeyIsWrittenAgain()
    {
        using var dir = new TempDir("converge-keepboth");
        var dbs = OpenReplicas(dir, 2, ConflictResolver.KeepBoth);
        try
        {
            var (a, b) = (dbs[0], dbs[1]);
            a.Put(a.GetColumnFamily("kv"), B("doc"), B("draft-a"));
            b.Put(b.GetColumnFamily("kv"), B("doc"), B("draft-b"));
            string winner = LaterOf(a, b), loser = winner == "draft-a" ? "draft-b" : "draft-a";
            InProcessSync.Converge(dbs);
            foreach (var db in dbs)
            {
                Assert.Equal(winner, S(db.Get(db.GetColumnFamily("kv"), B("doc"))));
                var sibling = Assert.Single(db.GetConflicts(db.GetColumnFamily("kv"), B("doc")));
                Assert.Equal(loser, S(sibling.Value));
                Assert.Equal((loser == "draft-a" ? a : b).ReplicaId, sibling.Version.Origin);
            }
            a.Put(a.GetColumnFamily("kv"), B("doc"), B("merged by the user"));
            InProcessSync.Converge(dbs);
            foreach (var db in dbs)
            {
                Assert.Equal("merged by the user", S(db.Get(db.GetColumnFamily("kv"), B("doc"))));
                Assert.Empty(db.GetConflicts(db.GetColumnFamily("kv"), B("doc")));
            }
        }
        finally
        {
            dbs.ForEach(d => d.Dispose());
        }
    }

    [Fact]
    public void MergeAndCustomResolvers_CombineConcurrentPutsTheSameWayEverywhere()
    {
        using var dir = new TempDir("converge-combine");
        foreach (var resolver in new[] { ConflictResolver.Merge, ConflictResolver.Custom("longest", c => (c.LocalValue?.Length ?? -1) > (c.RemoteValue?.Length ?? -1) ? c.LocalValue : c.RemoteValue) })
        {
            using var sub = new TempDir("converge-" + resolver.Name);
            var dbs = OpenReplicas(sub, 3, resolver);
            try
            {
                dbs[0].Put(dbs[0].GetColumnFamily("kv"), B("k"), B("one"));
                dbs[1].Put(dbs[1].GetColumnFamily("kv"), B("k"), B("three"));
                dbs[2].Put(dbs[2].GetColumnFamily("kv"), B("k"), B("two"));
                InProcessSync.Converge(dbs);
                var values = dbs.Select(d => S(d.Get(d.GetColumnFamily("kv"), B("k")))).ToList();
                Assert.True(values.Distinct().Count() == 1, $"{resolver.Name}: replicas differ: {string.Join(", ", values)}");
                if (resolver == ConflictResolver.Merge) Assert.Equal(3, values[0]!.Split('+').Length);
                else Assert.Equal("three", values[0]);
                Assert.Contains(dbs.SelectMany(d => d.GetConflictHistory()), h => h.Outcome == ConflictOutcome.Combined && h.Resolver == resolver.Name);
            }
            finally
            {
                dbs.ForEach(d => d.Dispose());
            }
        }
    }

    [Fact]
    public void AChangeIsAppliedOnce_AndNeverEchoedBack_WhateverTheTopology()
    {
        using var dir = new TempDir("converge-echo");
        var dbs = OpenReplicas(dir, 3);
        try
        {
            var (a, b, c) = (dbs[0], dbs[1], dbs[2]);
            a.Merge(a.GetColumnFamily("bal"), B("b0"), Int64(7));
            // a -> b -> c and a -> c: c receives a's change twice; b would send it back to a.
            Assert.Equal(1, InProcessSync.Pull(a, b));
            Assert.Equal(1, InProcessSync.Pull(b, c));
            Assert.Equal(0, InProcessSync.Pull(a, c)); // c's version vector already covers it
            Assert.Equal(0, InProcessSync.Pull(b, a)); // a's own change is not echoed back
            Assert.Equal(0, InProcessSync.Pull(c, b));
            foreach (var db in dbs) Assert.Equal(7, BinaryPrimitives.ReadInt64LittleEndian(db.Get(db.GetColumnFamily("bal"), B("b0"))));
        }
        finally
        {
            dbs.ForEach(d => d.Dispose());
        }
    }

    [Fact]
    public void Applier_SkipsChangesItHas_AndTakesALateOlderChangeForOlder_NotForAConflict()
    {
        using var dir = new TempDir("converge-applier");
        var dbs = OpenReplicas(dir, 3, ConflictResolver.KeepBoth);
        try
        {
            var (a, b, c) = (dbs[0], dbs[1], dbs[2]);
            a.Put(a.GetColumnFamily("kv"), B("k"), B("first"));
            a.Merge(a.GetColumnFamily("bal"), B("b0"), Int64(5));
            InProcessSync.Pull(a, b);
            b.Put(b.GetColumnFamily("kv"), B("k"), B("second")); // had seen "first"
            // Everything b's log holds, as if c had nothing (a stale view of c).
            var reader = new LatticeKV.Replication.ChangeStreamReader(b.Replication, 0, c.ReplicaId, new LatticeKV.Replication.VersionVector());
            var changes = new List<LatticeKV.Replication.RemoteChange>();
            Assert.True(reader.Read(100, changes));
            Assert.Equal(3, changes.Count);
            var second = changes.Single(x => S(x.Value) == "second");
            // The newer change first, then the older one it had seen: no conflict, the newer value stays.
            c.Replication.Applier.Apply(b.ReplicaId, [second], second.SourcePosition);
            var late = c.Replication.Applier.Apply(b.ReplicaId, [.. changes.Where(x => x != second)], reader.Cursor);
            Assert.Equal("second", S(c.Get(c.GetColumnFamily("kv"), B("k"))));
            Assert.Empty(c.GetConflicts(c.GetColumnFamily("kv"), B("k")));
            Assert.Empty(c.GetConflictHistory());
            // The same changes again: all skipped, the balance counted once.
            var again = c.Replication.Applier.Apply(b.ReplicaId, changes, reader.Cursor);
            Assert.Equal(3, again.Duplicates);
            Assert.Equal(0, again.Applied);
            Assert.Equal(5, BinaryPrimitives.ReadInt64LittleEndian(c.Get(c.GetColumnFamily("bal"), B("b0"))));
            Assert.Equal(2, late.Applied);
        }
        finally
        {
            dbs.ForEach(d => d.Dispose());
        }
    }

    [Theory]
    [InlineData("lww")]
    [InlineData("keep-both")]
    [InlineData("merge")]
    public void LocalWritesRacingAnApply_ToTheSameKeys_StillConverge(string resolver)
    {
        using var dir = new TempDir("converge-race");
        var dbs = OpenReplicas(dir, 2, ResolverNamed(resolver));
        try
        {
            var (a, b) = (dbs[0], dbs[1]);
            for (int round = 0; round < 20; round++)
            {
                for (int i = 0; i < 200; i++) a.Put(a.GetColumnFamily("kv"), B($"k{i % 10}"), B($"a{round}-{i}"));
                using var stop = new CancellationTokenSource();
                Exception? writerFailure = null;
                var writer = new Thread(() =>
                {
                    try
                    {
                        int n = 0;
                        while (!stop.IsCancellationRequested) b.Put(b.GetColumnFamily("kv"), B($"k{n % 10}"), B($"b{round}-{n++}"));
                    }
                    catch (Exception e)
                    {
                        writerFailure = e;
                    }
                });
                writer.Start();
                try
                {
                    InProcessSync.Pull(a, b, batchSize: 7);
                }
                finally
                {
                    // Stopped before the databases are disposed, whatever the pull threw.
                    stop.Cancel();
                    writer.Join();
                }
                Assert.Null(writerFailure);
            }
            InProcessSync.Converge(dbs);
            Assert.Equal(TestDb.Contents(a, a.GetColumnFamily("kv")), TestDb.Contents(b, b.GetColumnFamily("kv")));
            for (int k = 0; k < 10; k++)
                Assert.Equal(a.GetConflicts(a.GetColumnFamily("kv"), B($"k{k}")).Select(c => S(c.Value)).Order(), b.GetConflicts(b.GetColumnFamily("kv"), B($"k{k}")).Select(c => S(c.Value)).Order());
        }
        finally
        {
            dbs.ForEach(d => d.Dispose());
        }
    }

    [Fact]
    public void AnApply_IsNotStarved_ByLocalWritersThatNeverPause()
    {
        // Three writers on the keys being applied, never pausing: each judgement is made stale
        // within microseconds, so the apply finishes only because it holds them back in the end.
        using var dir = new TempDir("converge-starve");
        var dbs = OpenReplicas(dir, 2, ConflictResolver.LastWriterWins);
        try
        {
            var (a, b) = (dbs[0], dbs[1]);
            for (int i = 0; i < 500; i++) a.Put(a.GetColumnFamily("kv"), B($"k{i % 5}"), B($"a{i}"));
            using var stop = new CancellationTokenSource();
            var failures = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
            var writers = Enumerable.Range(0, 3).Select(t => new Thread(() =>
            {
                try
                {
                    int n = 0;
                    while (!stop.IsCancellationRequested) b.Put(b.GetColumnFamily("kv"), B($"k{n % 5}"), B($"b{t}-{n++}"));
                }
                catch (Exception e)
                {
                    failures.Enqueue(e);
                }
            })).ToList();
            writers.ForEach(w => w.Start());
            int sent;
            try
            {
                sent = InProcessSync.Pull(a, b, batchSize: 5);
            }
            finally
            {
                stop.Cancel();
                writers.ForEach(w => w.Join());
            }
            Assert.Empty(failures);
            Assert.Equal(500, sent);
            Assert.True(b.Replication.PeerCursor(a.ReplicaId) > 0);
            InProcessSync.Converge(dbs);
            Assert.Equal(TestDb.Contents(a, a.GetColumnFamily("kv")), TestDb.Contents(b, b.GetColumnFamily("kv")));
        }
        finally
        {
            dbs.ForEach(d => d.Dispose());
        }
    }
}
