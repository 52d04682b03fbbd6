using System.Buffers.Binary;
using LatticeKV.Tests.Crypto;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Replication;

/// <summary>The change log of replicated families: what is recorded, in what order, and how it is read.</summary>
public sealed class ChangeFeedTests
{
    private static DbOptions Options(Action<DbOptions>? configure = null)
    {
        var o = new DbOptions { WriteBufferSize = 64 * 1024 };
        o.ColumnFamilyOptions["r"] = new ColumnFamilyOptions { Replicated = true, MergeOperator = MergeOperators.Int64Add };
        configure?.Invoke(o);
        return o;
    }

    private static ColumnFamilyHandle Replicated(LatticeDb db) => db.TryGetColumnFamily("r", out var cf) ? cf : db.CreateColumnFamily("r", new ColumnFamilyOptions { Replicated = true, MergeOperator = MergeOperators.Int64Add });

    private static byte[] Int64(long v)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(b, v);
        return b;
    }

    [Fact]
    public void Writes_ToReplicatedFamily_AreRecordedInCommitOrder_OtherFamiliesAreNot()
    {
        using var dir = new TempDir("changes");
        using var db = LatticeDb.Open(dir.Path, Options());
        var r = Replicated(db);
        var plain = db.CreateColumnFamily("p");
        db.Put(r, B("a"), B("1"));
        db.Put(plain, B("x"), B("not replicated"));
        db.Delete(r, B("a"));
        db.Merge(r, B("bal"), Int64(5));
        var batch = new WriteBatch();
        batch.Put(r, B("b"), B("2"));
        batch.Put(plain, B("y"), B("3"));
        batch.Delete(r, B("c"));
        db.Write(batch);

        var changes = db.GetChanges(ChangeCursor.Beginning).ToList();
        Assert.Equal([ChangeOperation.Put, ChangeOperation.Delete, ChangeOperation.Merge, ChangeOperation.Put, ChangeOperation.Delete], changes.Select(c => c.Operation));
        Assert.Equal(["a", "a", "bal", "b", "c"], changes.Select(c => S(c.Key)));
        Assert.Equal("1", S(changes[0].Value));
        Assert.Null(changes[1].Value);
        Assert.Equal(Int64(5), changes[2].Value);
        Assert.All(changes, c => Assert.Equal("r", c.ColumnFamily));
        Assert.All(changes, c => Assert.Equal(db.ReplicaId, c.Origin));
        Assert.All(changes, c => Assert.Equal(c.Position, c.OriginSequence));
        for (int i = 1; i < changes.Count; i++)
        {
            Assert.True(changes[i].Position > changes[i - 1].Position, "positions increase in commit order");
            // One reading per commit: the batch's two changes share theirs.
            if (i == changes.Count - 1) Assert.Equal(changes[i - 1].Timestamp, changes[i].Timestamp);
            else Assert.True(changes[i].Timestamp > changes[i - 1].Timestamp, $"clock readings increase from commit to commit: {string.Join(", ", changes.Select(c => c.Timestamp))}");
        }
        Assert.True(Math.Abs((changes[0].Time - DateTimeOffset.UtcNow).TotalMinutes) < 5, $"the clock reading {changes[0].Time} is near the wall clock");
        // From a cursor: only what follows it.
        Assert.Equal(["b", "c"], db.GetChanges(changes[2].Cursor).Select(c => S(c.Key)));
        Assert.Empty(db.GetChanges(changes[^1].Cursor));
        // The hidden families are not listed.
        Assert.DoesNotContain(db.ColumnFamilies, c => c.Name.StartsWith("__lkv/", StringComparison.Ordinal));
    }

    [Fact]
    public void ReplicaIdAndPositions_SurviveReopen_AndACursorResumesExactlyAfterItsChange()
    {
        using var dir = new TempDir("changes-reopen");
        Guid id;
        ChangeCursor cursor;
        using (var db = LatticeDb.Open(dir.Path, Options()))
        {
            var r = Replicated(db);
            for (int i = 0; i < 10; i++) db.Put(r, B($"k{i}"), B($"v{i}"));
            id = db.ReplicaId;
            Assert.NotEqual(Guid.Empty, id);
            cursor = db.GetChanges(ChangeCursor.Beginning).ElementAt(6).Cursor;
        }
        using (var db = LatticeDb.Open(dir.Path, new DbOptions()))
        {
            Assert.Equal(id, db.ReplicaId);
            var r = db.GetColumnFamily("r");
            db.Put(r, B("k10"), B("v10"));
            var rest = db.GetChanges(ChangeCursor.Parse(cursor.ToString())).Select(c => S(c.Key)).ToList();
            Assert.Equal(["k7", "k8", "k9", "k10"], rest);
        }
    }

    [Fact]
    public void ConcurrentWriters_ReplayingTheLogGivesExactlyTheData_EachWriteOnce()
    {
        using var dir = new TempDir("changes-concurrent");
        int seed = TestSeed.Get(2001);
        using var db = LatticeDb.Open(dir.Path, Options());
        var r = Replicated(db);
        const int Threads = 4, PerThread = 800;
        using var threads = new TestThreads();
        threads.Start(Threads, "writer", t =>
        {
            var rnd = new Random(seed + t);
            for (int i = 0; i < PerThread; i++)
            {
                var key = B($"k{rnd.Next(40)}");
                switch (rnd.Next(4))
                {
                    case 0: db.Delete(r, key); break;
                    case 1:
                        var batch = new WriteBatch();
                        batch.Put(r, key, B($"t{t}-{i}"));
                        batch.Put(r, B($"k{rnd.Next(40)}"), B($"t{t}-{i}b"));
                        db.Write(batch);
                        break;
                    // Synced writes gather groups of several writers: positions must still follow commit order.
                    case 2: db.Put(r, key, B($"t{t}-{i}"), new WriteOptions { Sync = true }); break;
                    default: db.Put(r, key, B($"t{t}-{i}")); break;
                }
            }
        });
        threads.JoinAndRethrow();
        db.Flush(r);

        var changes = db.GetChanges(ChangeCursor.Beginning).ToList();
        var model = new SortedDictionary<string, string>(StringComparer.Ordinal);
        ulong last = 0;
        foreach (var c in changes)
        {
            Assert.True(c.Position > last, $"seed={seed}: position {c.Position} after {last}");
            last = c.Position;
            if (c.Operation == ChangeOperation.Put) model[S(c.Key)!] = S(c.Value)!;
            else model.Remove(S(c.Key)!);
        }
        var data = new SortedDictionary<string, string>(StringComparer.Ordinal);
        using (var it = db.NewIterator(r))
            for (it.SeekToFirst(); it.Valid; it.Next()) data[S(it.Key.ToArray())!] = S(it.Value.ToArray())!;
        Assert.Equal(data, model);
        Assert.True(changes.Count >= Threads * PerThread, $"seed={seed}: {changes.Count} changes for {Threads * PerThread} writes");
    }

    [Fact]
    public async Task Watch_DeliversWhatIsThereThenEachNewChange_EndsOnCancelAndOnClose()
    {
        using var dir = new TempDir("changes-watch");
        var db = LatticeDb.Open(dir.Path, Options());
        var r = Replicated(db);
        db.Put(r, B("before"), B("1"));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var seen = new List<string>();
        await using (var e = db.WatchChangesAsync(ChangeCursor.Beginning, cts.Token).GetAsyncEnumerator(cts.Token))
        {
            Assert.True(await e.MoveNextAsync());
            seen.Add(S(e.Current.Key)!);
            var next = e.MoveNextAsync().AsTask();
            Assert.False(next.IsCompleted, "nothing new was written yet");
            db.Put(r, B("after"), B("2"));
            Assert.True(await next);
            seen.Add(S(e.Current.Key)!);
            for (int i = 0; i < 3000; i++) db.Put(r, B($"bulk{i:D5}"), B("x")); // more than one read's worth
            for (int i = 0; i < 3000; i++)
            {
                Assert.True(await e.MoveNextAsync());
                Assert.Equal($"bulk{i:D5}", S(e.Current.Key));
            }
            var closing = e.MoveNextAsync().AsTask();
            db.Dispose();
            await Assert.ThrowsAsync<ObjectDisposedException>(() => closing);
        }
        Assert.Equal(["before", "after"], seen);

        using var reopened = LatticeDb.Open(dir.Path, new DbOptions());
        using var cancel = new CancellationTokenSource();
        var watch = reopened.WatchChangesAsync(reopened.GetChanges(ChangeCursor.Beginning).Last().Cursor, cancel.Token).GetAsyncEnumerator(cancel.Token);
        var waiting = watch.MoveNextAsync().AsTask();
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        await watch.DisposeAsync();
    }

    [Fact]
    public void Retention_DropsExpiredChanges_AndAReadFromBeforeThemThrows()
    {
        using var dir = new TempDir("changes-retention");
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        using var db = LatticeDb.Open(dir.Path, Options(o =>
        {
            o.Clock = clock;
            o.ReplicationLogRetention = TimeSpan.FromHours(1);
        }));
        var r = Replicated(db);
        for (int i = 0; i < 5; i++) db.Put(r, B($"old{i}"), B("x"));
        var oldCursor = db.GetChanges(ChangeCursor.Beginning).ElementAt(1).Cursor;
        clock.Advance(TimeSpan.FromHours(2));
        for (int i = 0; i < 3; i++) db.Put(r, B($"new{i}"), B("y"));
        db.Replication.TruncateNow();

        var ex = Assert.Throws<ChangeLogTruncatedException>(() => db.GetChanges(ChangeCursor.Beginning));
        Assert.Throws<ChangeLogTruncatedException>(() => db.GetChanges(oldCursor));
        Assert.Equal(["new0", "new1", "new2"], db.GetChanges(new ChangeCursor(ex.OldestPosition)).Select(c => S(c.Key)));
        Assert.Equal(8, TestDb.Contents(db, r).Count); // the data stays; only the log is bounded
    }

    private static LatticeDb OpenWithHourRetention(TempDir dir, ManualClock clock) => LatticeDb.Open(dir.Path, Options(o =>
    {
        o.Clock = clock;
        o.ReplicationLogRetention = TimeSpan.FromHours(1);
    }));

    [Fact]
    public void Retention_BackgroundPassAfterOneThatKeptEverything_DropsOnceTheChangesExpire()
    {
        using var dir = new TempDir("changes-retention-skip");
        var clock = new ManualClock(new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero));
        using var db = OpenWithHourRetention(dir, clock);
        var r = Replicated(db);
        for (int i = 0; i < 3; i++) db.Put(r, B($"old{i}"), B("x"));
        // Nothing has expired: the pass stops at the first change, and the next one stops there without reading.
        db.Replication.TruncateExpired(background: true);
        db.Replication.TruncateExpired(background: true);
        Assert.Equal(["old0", "old1", "old2"], db.GetChanges(ChangeCursor.Beginning).Select(c => S(c.Key)));
        clock.Advance(TimeSpan.FromHours(2));
        for (int i = 0; i < 2; i++) db.Put(r, B($"new{i}"), B("y"));

        db.Replication.TruncateExpired(background: true);

        var ex = Assert.Throws<ChangeLogTruncatedException>(() => db.GetChanges(ChangeCursor.Beginning));
        Assert.Equal(["new0", "new1"], db.GetChanges(new ChangeCursor(ex.OldestPosition)).Select(c => S(c.Key)));
    }

    [Fact]
    public void Retention_BackgroundPassAfterOneThatKeptEverything_DropsWhatEveryPeerAcknowledged()
    {
        using var dir = new TempDir("changes-acked-skip");
        var clock = new ManualClock(new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero));
        using var db = OpenWithHourRetention(dir, clock);
        var r = Replicated(db);
        for (int i = 0; i < 4; i++) db.Put(r, B($"k{i}"), B("x"));
        var peer = Guid.NewGuid();
        db.Replication.SetPeerAcknowledged(peer, 0);
        db.Replication.TruncateExpired(background: true);
        db.Replication.TruncateExpired(background: true);
        Assert.Equal(4, db.GetChanges(ChangeCursor.Beginning).Count());
        var second = db.GetChanges(ChangeCursor.Beginning).ElementAt(1);

        db.Replication.SetPeerAcknowledged(peer, second.Position);
        db.Replication.TruncateExpired(background: true);

        var ex = Assert.Throws<ChangeLogTruncatedException>(() => db.GetChanges(ChangeCursor.Beginning));
        Assert.Equal(second.Position, ex.OldestPosition);
        Assert.Equal(["k2", "k3"], db.GetChanges(new ChangeCursor(ex.OldestPosition)).Select(c => S(c.Key)));
    }

    [Fact]
    public void Retention_APassThatScannedBeforeAnotherTruncatedFurther_LeavesTheHigherFloor()
    {
        using var dir = new TempDir("changes-overlap");
        var clock = new ManualClock(new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero));
        LatticeDb? opened = null;
        int testThread = Environment.CurrentManagedThreadId;
        bool overlapped = false;
        using var db = LatticeDb.Open(dir.Path, Options(o =>
        {
            o.Clock = clock;
            o.ReplicationLogRetention = TimeSpan.FromHours(1);
            o.TestHooks = new LatticeKV.Db.TestHooks
            {
                // Only the test's passes run: one the writes started on the thread pool could drop the a's
                // before the test's pass scans them (CI saw it once).
                ManualChangeLogTruncation = true,
                // The test's pass has scanned (the "a" changes expired): an hour later a second pass drops the "b" ones too,
                // before the first writes.
                ChangeLogTruncationScanned = () =>
                {
                    if (Environment.CurrentManagedThreadId != testThread || overlapped) return;
                    overlapped = true;
                    clock.Advance(TimeSpan.FromHours(1));
                    opened!.Replication.TruncateNow();
                },
            };
        }));
        opened = db;
        var r = Replicated(db);
        for (int i = 0; i < 3; i++) db.Put(r, B($"a{i}"), B("x"));
        clock.Advance(TimeSpan.FromMinutes(90));
        for (int i = 0; i < 3; i++) db.Put(r, B($"b{i}"), B("y"));
        var afterA = db.GetChanges(ChangeCursor.Beginning).ElementAt(2).Cursor;
        Assert.Equal(6, db.GetChanges(ChangeCursor.Beginning).Count()); // no pass has run yet
        clock.Advance(TimeSpan.FromHours(1));

        db.Replication.TruncateNow();

        Assert.True(overlapped);
        // A reader past the a's but before the b's is told they are gone; with the floor moved back to the
        // last a, it read on from there and silently missed the b's.
        var ex = Assert.Throws<ChangeLogTruncatedException>(() => db.GetChanges(afterA));
        Assert.Empty(db.GetChanges(new ChangeCursor(ex.OldestPosition)));
        Assert.Equal(6, TestDb.Contents(db, r).Count);
    }

    [Fact]
    public void RangeDeletion_OnReplicatedFamily_IsRefused_AndNothingOfTheBatchIsWritten()
    {
        using var dir = new TempDir("changes-range");
        using var db = LatticeDb.Open(dir.Path, Options());
        var r = Replicated(db);
        var batch = new WriteBatch();
        batch.Put(r, B("a"), B("1"));
        batch.DeleteRange(r, B("a"), B("z"));
        var ex = Assert.Throws<InvalidArgumentException>(() => db.Write(batch));
        Assert.Contains("replicated", ex.Message, StringComparison.Ordinal);
        Assert.Null(db.Get(r, B("a")));
        Assert.Empty(db.GetChanges(ChangeCursor.Beginning));
    }

    [Fact]
    public void Replication_CannotBeTurnedOff_NorOnForAnExistingFamily()
    {
        using var dir = new TempDir("changes-sticky");
        using (var db = LatticeDb.Open(dir.Path, Options()))
        {
            Replicated(db);
            db.CreateColumnFamily("plain");
        }
        var off = new DbOptions();
        off.ColumnFamilyOptions["r"] = new ColumnFamilyOptions { Replicated = false };
        Assert.Contains("cannot be turned off", Assert.Throws<InvalidArgumentException>(() => LatticeDb.Open(dir.Path, off)).Message, StringComparison.Ordinal);
        var on = new DbOptions();
        on.ColumnFamilyOptions["plain"] = new ColumnFamilyOptions { Replicated = true };
        Assert.Contains("created without replication", Assert.Throws<InvalidArgumentException>(() => LatticeDb.Open(dir.Path, on)).Message, StringComparison.Ordinal);
        // Left unset, the stored setting holds.
        using var reopened = LatticeDb.Open(dir.Path, new DbOptions());
        reopened.Put(reopened.GetColumnFamily("r"), B("k"), B("v"));
        Assert.Single(reopened.GetChanges(ChangeCursor.Beginning));
    }

    [Fact]
    public void EncryptedDatabase_TheChangeLogHoldsNoPlaintext_AndReadsBack()
    {
        using var dir = new TempDir("changes-encrypted");
        var key = EncryptionSupport.NewKey();
        var sentinels = Enumerable.Range(0, 20).Select(_ => EncryptionSupport.Sentinel()).ToList();
        var options = EncryptionSupport.Options(key);
        using (var db = LatticeDb.Open(dir.Path, options))
        {
            var cf = db.CreateColumnFamily("secrets", new ColumnFamilyOptions { Encrypted = true, Replicated = true });
            for (int i = 0; i < sentinels.Count; i++) db.Put(cf, B($"s{i:D2}"), sentinels[i]);
            db.Flush(cf);
            Assert.Equal(sentinels.Count, db.GetChanges(ChangeCursor.Beginning).Count());
        }
        Assert.Equal(0, EncryptionSupport.CountFound(dir.Path, sentinels));
        using (var db = LatticeDb.Open(dir.Path, EncryptionSupport.Options(key)))
            Assert.Equal(sentinels, db.GetChanges(ChangeCursor.Beginning).Select(c => c.Value!));
    }

    [Fact]
    public void Transactions_ACommitRecordsItsWrites_RollbackAndConflictRecordNothing()
    {
        using var dir = new TempDir("changes-txn");
        using var db = LatticeDb.Open(dir.Path, Options());
        var r = Replicated(db);
        using (var tx = db.BeginTransaction())
        {
            tx.Put(r, B("a"), B("1"));
            tx.Merge(r, B("bal"), Int64(3));
            tx.Commit();
        }
        using (var tx = db.BeginTransaction())
        {
            tx.Put(r, B("rolled"), B("back"));
            tx.Rollback();
        }
        using (var tx = db.BeginTransaction())
        {
            tx.GetForUpdate(r, B("a"));
            db.Put(r, B("a"), B("outside"));
            tx.Put(r, B("conflicted"), B("x"));
            Assert.Throws<TransactionConflictException>(() => tx.Commit());
        }
        Assert.Equal(["a", "bal", "a"], db.GetChanges(ChangeCursor.Beginning).Select(c => S(c.Key)));
        Assert.Equal(3, BinaryPrimitives.ReadInt64LittleEndian(db.Get(r, B("bal"))));
    }

    [Fact]
    public void IndexedReplicatedFamily_KeepsItsIndexAndItsChanges()
    {
        using var dir = new TempDir("changes-indexed");
        using var db = LatticeDb.Open(dir.Path, new DbOptions());
        var docs = db.CreateColumnFamily("docs", new ColumnFamilyOptions { Replicated = true });
        var index = db.CreateIndex(docs, new IndexDefinition { Name = "by_owner", Extractor = IndexExtractors.JsonField("owner") });
        index.WaitUntilReady(TimeSpan.FromSeconds(30));
        db.Put(docs, B("d1"), B("{\"owner\":\"ann\"}"));
        db.Put(docs, B("d2"), B("{\"owner\":\"bob\"}"));
        db.Delete(docs, B("d1"));
        var owners = new List<string>();
        foreach (var owner in new[] { "ann", "bob" })
        {
            using var it = db.QueryIndexPrefix(index, B(owner));
            for (it.SeekToFirst(); it.Valid; it.Next()) owners.Add(owner + ":" + S(it.PrimaryKey.ToArray()));
        }
        Assert.Equal(["bob:d2"], owners);
        Assert.Equal(["d1", "d2", "d1"], db.GetChanges(ChangeCursor.Beginning).Select(c => S(c.Key)));
        Assert.All(db.VerifyIndexes(), v => Assert.True(v.Consistent, v.ToString()));
    }

    [Fact]
    public void ScopeSealedFamily_ChangesReadAsPlainValues_AndAsNullOnceTheScopeIsShredded()
    {
        using var dir = new TempDir("changes-scoped");
        var key = EncryptionSupport.NewKey();
        var options = EncryptionSupport.Options(key);
        using var db = LatticeDb.Open(dir.Path, options);
        var users = db.CreateColumnFamily("users", new ColumnFamilyOptions { Encrypted = true, Replicated = true, EncryptionScope = static k => k[..k.IndexOf((byte)'/')] });
        db.Put(users, B("ann/key"), B("ann-secret"));
        db.Put(users, B("bob/key"), B("bob-secret"));
        Assert.Equal(["ann-secret", "bob-secret"], db.GetChanges(ChangeCursor.Beginning).Select(c => S(c.Value)));
        db.ShredScope(users, B("ann"));
        Assert.Equal([null, "bob-secret"], db.GetChanges(ChangeCursor.Beginning).Select(c => S(c.Value)));
    }
}
