using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Replication;

/// <summary>
/// The applier judges a frame's changes in one pass (a family looked up once per run of
/// changes, a key without a version taken without conflict bookkeeping): the outcome must be the
/// one applying each change on its own gives.
/// </summary>
public sealed class RemoteChangeApplierTests
{
    private static LatticeDb Open(TempDir dir, string name, bool withExtra, IValueValidator? validator = null)
    {
        var db = LatticeDb.Open(dir.Sub(name), new DbOptions { WriteBufferSize = 64 * 1024 });
        db.CreateColumnFamily("kv", new ColumnFamilyOptions { Replicated = true, Validator = validator });
        db.CreateColumnFamily("bal", new ColumnFamilyOptions { Replicated = true, MergeOperator = MergeOperators.Int64Add });
        if (withExtra) db.CreateColumnFamily("extra", new ColumnFamilyOptions { Replicated = true });
        return db;
    }

    /// <summary>Every record of a family, as (key, value) pairs in key order.</summary>
    private static List<(string Key, string Value)> Contents(LatticeDb db, ColumnFamilyHandle family)
    {
        var rows = new List<(string, string)>();
        using var it = db.NewIterator(family);
        for (it.SeekToFirst(); it.Valid; it.Next()) rows.Add((Convert.ToHexString(it.Key), Convert.ToHexString(it.Value)));
        return rows;
    }

    [Fact]
    public void Apply_RunsAcrossFamiliesAndAMissingOne_SameOutcomeAsOneChangeAtATime()
    {
        using var dir = new TempDir("applier-runs");
        using var a = Open(dir, "a", withExtra: true);
        using var whole = Open(dir, "whole", withExtra: false);
        using var single = Open(dir, "single", withExtra: false);
        var kv = a.GetColumnFamily("kv");
        var bal = a.GetColumnFamily("bal");
        var extra = a.GetColumnFamily("extra");
        // Runs of one family, broken by a family the receivers lack and by merges; a key written
        // twice, and a delete of a key the receivers never had (both are first versions there).
        a.Put(kv, B("k1"), B("v1"));
        a.Put(kv, B("k2"), B("v2"));
        a.Put(extra, B("x"), B("lost"));
        a.Put(kv, B("k3"), B("v3"));
        a.Merge(bal, B("b"), Merge.MergeSupport.I64(5));
        a.Merge(bal, B("b"), Merge.MergeSupport.I64(7));
        a.Put(kv, B("k1"), B("v1-again"));
        a.Delete(kv, B("never-here"));

        Assert.Equal(8, InProcessSync.Pull(a, whole, batchSize: 1000));
        Assert.Equal(8, InProcessSync.Pull(a, single, batchSize: 1));

        foreach (var db in new[] { whole, single })
        {
            Assert.Equal("v1-again", S(db.Get(db.GetColumnFamily("kv"), B("k1"))));
            Assert.Equal("v3", S(db.Get(db.GetColumnFamily("kv"), B("k3"))));
            Assert.Null(db.Get(db.GetColumnFamily("kv"), B("never-here")));
            Assert.Equal(12, BitConverter.ToInt64(db.Get(db.GetColumnFamily("bal"), B("b"))));
            var missing = Assert.Single(db.GetConflictHistory());
            Assert.Equal(ConflictOutcome.FamilyMissing, missing.Outcome);
            Assert.Equal("extra", missing.ColumnFamily);
        }
        Assert.Equal(Contents(single, single.GetColumnFamily("kv")), Contents(whole, whole.GetColumnFamily("kv")));
        // The keys' version records (heads, bases, contexts) are byte for byte the same.
        var versions = Contents(whole, whole.Replication.Versions!);
        Assert.Equal(5, versions.Count); // k1, k2, k3, never-here, b
        Assert.Equal(Contents(single, single.Replication.Versions!), versions);
        Assert.Equal(whole.Replication.Applied[a.ReplicaId], single.Replication.Applied[a.ReplicaId]);
    }

    [Fact]
    public void Apply_FirstVersionRefusedByTheValidator_IsQuarantined_AndTheRestOfTheRunApplies()
    {
        using var dir = new TempDir("applier-first-refused");
        using var a = Open(dir, "a", withExtra: false);
        using var b = Open(dir, "b", withExtra: false, ValueValidators.Json);
        var kv = a.GetColumnFamily("kv");
        a.Put(kv, B("k1"), B("{}"));
        a.Put(kv, B("k2"), B("not json"));
        a.Put(kv, B("k3"), B("[1]"));

        InProcessSync.Pull(a, b, batchSize: 1000);

        Assert.Equal("{}", S(b.Get(b.GetColumnFamily("kv"), B("k1"))));
        Assert.Null(b.Get(b.GetColumnFamily("kv"), B("k2")));
        Assert.Equal("[1]", S(b.Get(b.GetColumnFamily("kv"), B("k3"))));
        Assert.Equal(2, Contents(b, b.Replication.Versions!).Count); // k1 and k3: a refused first change leaves its key without a version
        Assert.Equal("k2", S(Assert.Single(b.GetQuarantinedChanges()).Key));
    }
}
