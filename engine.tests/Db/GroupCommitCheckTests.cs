using LatticeKV.Db;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Db;

/// <summary>
/// Groupable commit checks (<see cref="IGroupCommitCheck"/>): writes queued behind a leader are
/// judged together, each seeing the keys of the members ahead of it; a rejected member is left
/// out and gets its exception alone while the rest are written.
/// </summary>
public sealed class GroupCommitCheckTests
{
    /// <summary>Rejects its write when a member ahead wrote <paramref name="conflictKey"/>; records what it saw.</summary>
    private sealed class KeyCheck(string? conflictKey) : IGroupCommitCheck
    {
        public List<string> Seen { get; } = [];

        public void Check(ulong lastSequence) => Check(lastSequence, GroupWrittenKeys.None);

        public void Check(ulong lastSequence, GroupWrittenKeys earlier)
        {
            foreach (var k in new[] { "a", "x", "y", "z" })
                if (earlier.Contains(0, B(k))) Seen.Add(k);
            if (conflictKey is not null && earlier.Contains(0, B(conflictKey))) throw new InvalidArgumentException("rejected by the check", "batch");
        }
    }

    /// <summary>Blocks the leader's stage 3 until released, so writes queue behind it.</summary>
    internal sealed class Gate : ICommitCheck
    {
        public readonly ManualResetEventSlim Entered = new();
        public readonly ManualResetEventSlim Release = new();

        public void Check(ulong lastSequence)
        {
            Entered.Set();
            Release.Wait();
        }
    }

    /// <summary>
    /// Starts <paramref name="writes"/> on <paramref name="threads"/> one by one behind a held
    /// leader, each queued before the next starts; returns the gate, which stopping the threads
    /// also releases (a failed assertion must not leave the writers held).
    /// </summary>
    internal static Gate QueueBehindHeldLeader(LatticeDb db, TestThreads threads, params Action[] writes)
    {
        var gate = new Gate();
        threads.Stopping.Register(gate.Release.Set);
        var held = new WriteBatch();
        held.Put(B("held"), B("1"));
        threads.Start("held leader", () => db.WriteChecked(held, WriteOptions.Default, gate));
        threads.Wait(gate.Entered, "the held leader never reached its check");
        for (int i = 0; i < writes.Length; i++)
        {
            int queued = db.QueuedWriters;
            threads.Start($"queued writer {i}", writes[i]);
            SpinWait.SpinUntil(() => db.QueuedWriters == queued + 1, TimeSpan.FromSeconds(30));
            Assert.Equal(queued + 1, db.QueuedWriters);
        }
        return gate;
    }

    private static WriteBatch Put(string key)
    {
        var batch = new WriteBatch();
        batch.Put(B(key), B("v-" + key));
        return batch;
    }

    [Fact]
    public void CheckedWritesQueuedTogether_AreJudgedInOrder_AndARejectedMemberIsLeftOut()
    {
        using var dir = new TempDir("group-check");
        using var db = LatticeDb.Open(dir.Path);
        var first = new KeyCheck(null);
        var rejected = new KeyCheck("x");
        var last = new KeyCheck("z");
        Exception? rejection = null;
        using var threads = new TestThreads();
        var gate = QueueBehindHeldLeader(db, threads,
            () => db.WriteChecked(Put("x"), WriteOptions.Default, first),
            () => rejection = Record.Exception(() => db.WriteChecked(Put("z"), WriteOptions.Default, rejected)),
            () => db.WriteChecked(Put("y"), WriteOptions.Default, last));
        long groupsBefore = db.GetStatistics()["write.groups"];
        gate.Release.Set();
        threads.JoinAndRethrow();

        Assert.IsType<InvalidArgumentException>(rejection);
        Assert.Empty(first.Seen);
        Assert.Equal(["x"], rejected.Seen);
        Assert.Equal(["x"], last.Seen); // the rejected member's key is not among what later members see
        Assert.Equal("v-x", S(db.Get(B("x"))));
        Assert.Equal("v-y", S(db.Get(B("y"))));
        Assert.Null(db.Get(B("z")));
        Assert.Equal(2, db.GetStatistics()["write.groups"] - groupsBefore); // the held write, then the three together
    }

    [Fact]
    public void ACheckedWriteBehindARangeDeletion_WaitsForTheNextGroup()
    {
        using var dir = new TempDir("group-check-range");
        using var db = LatticeDb.Open(dir.Path);
        db.Put(B("y"), B("old"));
        var behind = new KeyCheck(null);
        var deletion = new WriteBatch();
        deletion.DeleteRange(B("a"), B("z"));
        using var threads = new TestThreads();
        var gate = QueueBehindHeldLeader(db, threads,
            () => db.Write(deletion),
            () => db.WriteChecked(Put("x"), WriteOptions.Default, behind));
        gate.Release.Set();
        threads.JoinAndRethrow();

        Assert.Empty(behind.Seen);           // judged in a group of its own, after the deletion is in the memtables
        Assert.Null(db.Get(B("y")));
        Assert.Equal("v-x", S(db.Get(B("x"))));
    }
}
