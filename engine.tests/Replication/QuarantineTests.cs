using System.Buffers.Binary;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Replication;

/// <summary>
/// Validators judge the changes sync brings: a value the family's validator rejects is
/// quarantined (kept, readable, counted per peer), never stored, and sync carries on; the
/// replicas that validate converge on the valid data.
/// </summary>
public sealed class QuarantineTests
{
    /// <summary>Accepts only values that look like a JSON object: a cheap, deterministic rule.</summary>
    private sealed class ObjectsOnly : IValueValidator
    {
        public bool TryValidate(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, out string? reason)
        {
            reason = value.Length >= 2 && value[0] == (byte)'{' && value[^1] == (byte)'}' ? null : "not a JSON object";
            return reason is null;
        }
    }

    private static LatticeDb Replica(TempDir dir, string name, bool validates)
    {
        var db = LatticeDb.Open(dir.Sub(name), new DbOptions { WriteBufferSize = 64 * 1024 });
        db.CreateColumnFamily("docs", new ColumnFamilyOptions { Replicated = true, Validator = validates ? new ObjectsOnly() : null });
        db.CreateColumnFamily("bal", new ColumnFamilyOptions { Replicated = true, MergeOperator = MergeOperators.Int64Add });
        return db;
    }

    [Fact]
    public void InvalidChangesFromAPeer_AreQuarantined_NotStored_AndValidatingReplicasConvergeOnTheValidData()
    {
        using var dir = new TempDir("quarantine");
        // "old" runs a release without the validator; b and c validate.
        using var old = Replica(dir, "old", validates: false);
        using var b = Replica(dir, "b", validates: true);
        using var c = Replica(dir, "c", validates: true);
        var docs = old.GetColumnFamily("docs");
        for (int i = 0; i < 40; i++) old.Put(docs, B($"k{i:D2}"), B(i % 2 == 0 ? $"{{\"n\":{i}}}" : $"bad {i}"));
        b.Put(b.GetColumnFamily("docs"), B("from-b"), B("{\"b\":1}"));
        InProcessSync.Converge([old, b, c]);
        old.Put(docs, B("k00"), B("also bad")); // an invalid overwrite of a valid key
        InProcessSync.Converge([old, b, c]);

        var expected = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["from-b"] = "{\"b\":1}" };
        for (int i = 0; i < 40; i += 2) expected[$"k{i:D2}"] = $"{{\"n\":{i}}}";
        foreach (var db in new[] { b, c })
        {
            Assert.Equal(expected.Select(e => Convert.ToHexString(B(e.Key)) + "=" + Convert.ToHexString(B(e.Value))).ToList(), Contents(db, db.GetColumnFamily("docs")));
            var quarantined = db.GetQuarantinedChanges();
            Assert.Equal(21, quarantined.Count);
            Assert.All(quarantined, q =>
            {
                Assert.Equal("docs", q.ColumnFamily);
                Assert.Equal(old.ReplicaId, q.Version.Origin);
                Assert.Equal("not a JSON object", q.Reason);
                Assert.Equal(ChangeOperation.Put, q.Operation);
                Assert.StartsWith(S(q.Key) == "k00" ? "also bad" : "bad ", S(q.Value!));
            });
            Assert.Equal(21, quarantined.Select(q => q.Id).Distinct().Count());
            Assert.Equal(21, db.Replication.QuarantinedFrom(old.ReplicaId) + db.Replication.QuarantinedFrom(db == b ? c.ReplicaId : b.ReplicaId));
        }
        // The replica without the validator keeps what it wrote: the quarantine is each replica's own verdict.
        Assert.Equal("bad 1", S(old.Get(docs, B("k01"))));

        // Sync carries on: a valid change after the refused ones arrives everywhere.
        old.Put(docs, B("k01"), B("{\"fixed\":true}"));
        InProcessSync.Converge([old, b, c]);
        foreach (var db in new[] { old, b, c }) Assert.Equal("{\"fixed\":true}", S(db.Get(db.GetColumnFamily("docs"), B("k01"))!));
        Assert.Equal(Contents(b, b.GetColumnFamily("docs")), Contents(c, c.GetColumnFamily("docs")));
    }

    [Fact]
    public void QuarantinedChanges_SurviveReopen_AndCanBeDiscarded()
    {
        using var dir = new TempDir("quarantine-discard");
        string id;
        using (var old = Replica(dir, "old", validates: false))
        {
            using var b = Replica(dir, "b", validates: true);
            old.Put(old.GetColumnFamily("docs"), B("x"), B("nope"));
            InProcessSync.Pull(old, b);
            id = Assert.Single(b.GetQuarantinedChanges()).Id;
        }
        using var reopened = LatticeDb.Open(dir.Sub("b"), new DbOptions());
        var q = Assert.Single(reopened.GetQuarantinedChanges());
        Assert.Equal(id, q.Id);
        Assert.Null(reopened.Get(reopened.GetColumnFamily("docs"), B("x")));
        Assert.Throws<InvalidArgumentException>(() => reopened.DiscardQuarantinedChange("not-an-id"));
        Assert.True(reopened.DiscardQuarantinedChange(id));
        Assert.False(reopened.DiscardQuarantinedChange(id));
        Assert.Empty(reopened.GetQuarantinedChanges());
    }

    [Fact]
    public void AMalformedMergeOperand_IsQuarantined_AndTheBalanceStaysReadable()
    {
        using var dir = new TempDir("quarantine-merge");
        using var a = Replica(dir, "a", validates: false);
        using var b = Replica(dir, "b", validates: true);
        var bal = a.GetColumnFamily("bal");
        a.Merge(bal, B("acct"), I64(20));
        InProcessSync.Pull(a, b);
        // A peer's merge operand that is not 8 bytes: stored, every read of the key would fail.
        var log = a.Replication;
        var bad = new LatticeKV.Replication.RemoteChange
        {
            Origin = Guid.NewGuid(), OriginSequence = 1, Timestamp = a.Replication.Clock.Now(), ColumnFamily = "bal",
            Operation = ChangeOperation.Merge, Key = B("acct"), Value = [1, 2, 3], Context = log.Applied.Clone(),
        };
        var result = b.Replication.Applier.Apply(a.ReplicaId, [bad], b.Replication.PeerCursor(a.ReplicaId));
        Assert.Equal(1, result.Quarantined);
        Assert.Equal(20, BinaryPrimitives.ReadInt64LittleEndian(b.Get(b.GetColumnFamily("bal"), B("acct"))));
        Assert.Equal(ChangeOperation.Merge, Assert.Single(b.GetQuarantinedChanges()).Operation);

        a.Merge(bal, B("acct"), I64(22));
        InProcessSync.Pull(a, b);
        Assert.Equal(42, BinaryPrimitives.ReadInt64LittleEndian(b.Get(b.GetColumnFamily("bal"), B("acct"))));
    }

    [Fact]
    public void ACombinationTheValidatorRejects_FallsBackToTheClocksWinner_TheSameOnEveryReplica()
    {
        using var dir = new TempDir("quarantine-fold");
        // Concatenated JSON documents are not one document: the combination is rejected, the clock decides.
        var resolver = ConflictResolver.Custom("concat", x => [.. x.LocalValue ?? [], .. x.RemoteValue ?? []]);
        var dbs = new List<LatticeDb>();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                var db = LatticeDb.Open(dir.Sub($"r{i}"), new DbOptions());
                db.CreateColumnFamily("docs", new ColumnFamilyOptions { Replicated = true, Validator = ValueValidators.Json, ConflictResolver = resolver });
                dbs.Add(db);
            }
            for (int i = 0; i < 3; i++) dbs[i].Put(dbs[i].GetColumnFamily("docs"), B("k"), B($"{{\"r\":{i}}}"));
            InProcessSync.Converge(dbs);
            var values = dbs.Select(db => S(db.Get(db.GetColumnFamily("docs"), B("k"))!)).ToList();
            Assert.All(values, v => Assert.Equal(values[0], v));
            Assert.Matches("^\\{\"r\":[0-2]\\}$", values[0]);
            Assert.All(dbs, db => Assert.Empty(db.GetQuarantinedChanges()));
        }
        finally
        {
            foreach (var db in dbs) db.Dispose();
        }
    }

    /// <summary>An encrypted replica keeps what it quarantines encrypted: no refused value or key appears in any file.</summary>
    [Fact]
    public void AnEncryptedReplica_KeepsItsQuarantineEncrypted_OnDisk()
    {
        using var dir = new TempDir("quarantine-encrypted");
        var key = Crypto.EncryptionSupport.NewKey();
        var sentinels = Enumerable.Range(0, 10).Select(_ => Crypto.EncryptionSupport.Sentinel()).ToList();
        string target = dir.Sub("b");
        using (var a = LatticeDb.Open(dir.Sub("a"), Crypto.EncryptionSupport.Options(key)))
        using (var b = LatticeDb.Open(target, Crypto.EncryptionSupport.Options(key)))
        {
            var aDocs = a.CreateColumnFamily("docs", new ColumnFamilyOptions { Replicated = true, Encrypted = true });
            b.CreateColumnFamily("docs", new ColumnFamilyOptions { Replicated = true, Encrypted = true, Validator = new ObjectsOnly() });
            for (int i = 0; i < sentinels.Count; i++) a.Put(aDocs, sentinels[i], sentinels[i]); // neither key nor value is a JSON object
            InProcessSync.Pull(a, b);
            Assert.Equal(sentinels.Count, b.GetQuarantinedChanges().Count);
            b.Flush(b.GetColumnFamily("docs"));
        }
        Assert.Equal(0, Crypto.EncryptionSupport.CountFound(target, sentinels));
        using var reopened = LatticeDb.Open(target, Crypto.EncryptionSupport.Options(key));
        Assert.Equal(sentinels.Select(Convert.ToHexString).Order(), reopened.GetQuarantinedChanges().Select(q => Convert.ToHexString(q.Value!)).Order());
    }

    private static byte[] I64(long v) => Merge.MergeSupport.I64(v);
}
