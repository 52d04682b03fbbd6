using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using LatticeKV.Tests.Crypto;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Sync;

/// <summary>Three replicas syncing through a real NATS JetStream server (no direct connections), including a restart of the server.</summary>
public sealed class RelaySyncTests
{
    private static byte[] Int64(long v) => Merge.MergeSupport.I64(v);

    [SkippableFact]
    public async Task ThreeReplicasThroughJetStream_ConvergeAcrossAServerRestart_AndTheRelayHoldsNoPlaintext()
    {
        Skip.If(NatsServer.Executable is null, "nats-server is not installed (apt-get install nats-server; .ci/run installs it)");
        using var dir = new TempDir("relay");
        int seed = TestSeed.Get(2030);
        var rnd = new Random(seed);
        using var nats = new NatsServer(dir.Sub("nats"));
        var groupKey = RandomNumberGenerator.GetBytes(32);
        var encryptionKey = EncryptionSupport.NewKey();
        var sentinels = new List<byte[]>();
        var dbs = new List<LatticeDb>();
        var relays = new List<SyncService>();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                var db = LatticeDb.Open(dir.Sub($"r{i}"), new DbOptions { Encryption = EncryptionOptions.FromKey(encryptionKey), WriteBufferSize = 256 * 1024 });
                db.CreateColumnFamily("secrets", new ColumnFamilyOptions { Replicated = true, Encrypted = true });
                db.CreateColumnFamily("bal", new ColumnFamilyOptions { Replicated = true, Encrypted = true, MergeOperator = MergeOperators.Int64Add });
                dbs.Add(db);
                relays.Add(db.StartRelaySync(new RelaySyncOptions { Url = nats.Url, Group = "ledger", GroupKey = groupKey }));
            }
            long total = 0;
            void Write(int steps)
            {
                for (int s = 0; s < steps; s++)
                {
                    var db = dbs[rnd.Next(3)];
                    if (rnd.Next(3) == 0)
                    {
                        long amount = rnd.Next(1, 100);
                        total += amount;
                        db.Merge(db.GetColumnFamily("bal"), B($"acct{rnd.Next(4)}"), Int64(amount));
                    }
                    else
                    {
                        var sentinel = EncryptionSupport.Sentinel();
                        sentinels.Add(sentinel);
                        db.Put(db.GetColumnFamily("secrets"), B($"k{rnd.Next(50):D2}"), sentinel);
                    }
                }
            }
            Write(300);
            nats.Kill(); // writes go on while the relay is down, queued in each replica's log
            Write(200);
            nats.Start();
            Write(100);
            await Converged(dbs, TimeSpan.FromSeconds(60));
            foreach (var db in dbs)
            {
                long sum = 0;
                for (int a = 0; a < 4; a++)
                    if (db.Get(db.GetColumnFamily("bal"), B($"acct{a}")) is { } v) sum += BinaryPrimitives.ReadInt64LittleEndian(v);
                Assert.Equal(total, sum);
            }
        }
        finally
        {
            foreach (var r in relays) await r.DisposeAsync();
            foreach (var db in dbs) db.Dispose();
            nats.Kill();
        }
        // Values of encrypted families never reach the relay's store in the clear.
        Assert.Equal(0, EncryptionSupport.CountFound(dir.Sub("nats"), sentinels));
    }

    [SkippableFact]
    public async Task MessagesNotSealedUnderTheGroupKey_AreSkipped_AndLaterChangesStillArrive()
    {
        Skip.If(NatsServer.Executable is null, "nats-server is not installed (apt-get install nats-server; .ci/run installs it)");
        using var dir = new TempDir("relay-poison");
        using var nats = new NatsServer(dir.Sub("nats"));
        var groupKey = RandomNumberGenerator.GetBytes(32);
        var dbs = new List<LatticeDb>();
        var relays = new List<SyncService>();
        try
        {
            for (int i = 0; i < 2; i++)
            {
                var db = LatticeDb.Open(dir.Sub($"r{i}"), new DbOptions { WriteBufferSize = 256 * 1024 });
                db.CreateColumnFamily("secrets", new ColumnFamilyOptions { Replicated = true });
                db.CreateColumnFamily("bal", new ColumnFamilyOptions { Replicated = true, MergeOperator = MergeOperators.Int64Add });
                dbs.Add(db);
                relays.Add(db.StartRelaySync(new RelaySyncOptions { Url = nats.Url, Group = "ledger", GroupKey = groupKey }));
            }
            dbs[0].Put(dbs[0].GetColumnFamily("secrets"), B("first"), B("1"));
            await Converged(dbs, TimeSpan.FromSeconds(30)); // the stream exists and both consume it
            // Anyone who can publish to the subject, without the group key: garbage, and a message sealed under another key.
            await using (var publisher = new NATS.Client.Core.NatsConnection(new NATS.Client.Core.NatsOpts { Url = nats.Url }))
            {
                using var stranger = new LatticeKV.Sync.RelaySeal(RandomNumberGenerator.GetBytes(32), "ledger");
                var js = new NATS.Client.JetStream.NatsJSContext(publisher);
                await js.PublishAsync("lkv.ledger.changes", new byte[] { 1, 2, 3 });
                await js.PublishAsync("lkv.ledger.changes", stranger.Seal(Guid.NewGuid(), "not a batch"u8));
            }
            dbs[0].Put(dbs[0].GetColumnFamily("secrets"), B("after"), B("2"));
            dbs[1].Put(dbs[1].GetColumnFamily("secrets"), B("back"), B("3"));
            await Converged(dbs, TimeSpan.FromSeconds(30));
            Assert.Equal(3, TestDb.Contents(dbs[1], dbs[1].GetColumnFamily("secrets")).Count);
        }
        finally
        {
            foreach (var r in relays) await r.DisposeAsync();
            foreach (var db in dbs) db.Dispose();
            nats.Kill();
        }
    }

    /// <summary>Waits until every replica holds the same replicated data (asked again until they agree, bounded).</summary>
    private static async Task Converged(List<LatticeDb> dbs, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var contents = dbs.Select(d => string.Join("\n", TestDb.Contents(d, d.GetColumnFamily("secrets")).Concat(TestDb.Contents(d, d.GetColumnFamily("bal"))))).ToList();
            if (contents.Distinct().Count() == 1) return;
            Assert.True(deadline.Elapsed < timeout, "the replicas did not converge through the relay: " + string.Join("; ", dbs.SelectMany(d => d.GetSyncStatus()).Select(s => s.ToString())));
            await Task.Delay(100);
        }
    }
}

/// <summary>The relay's sealing: only the group's key opens a message, and a tampered one is refused.</summary>
public sealed class RelaySealTests
{
    [Fact]
    public void AMessage_OpensUnderItsGroupKeyOnly_AndNotOnceTampered()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        using var seal = new LatticeKV.Sync.RelaySeal(key, "g");
        var publisher = Guid.NewGuid();
        var message = seal.Seal(publisher, "secret"u8);
        Assert.Equal("secret"u8.ToArray(), seal.Open(message, out var from));
        Assert.Equal(publisher, from);
        Assert.Equal(-1, message.AsSpan().IndexOf("secret"u8));
        using var otherKey = new LatticeKV.Sync.RelaySeal(RandomNumberGenerator.GetBytes(32), "g");
        using var otherGroup = new LatticeKV.Sync.RelaySeal(key, "h");
        Assert.Throws<SyncProtocolException>(() => otherKey.Open(message, out _));
        Assert.Throws<SyncProtocolException>(() => otherGroup.Open(message, out _));
        for (int i = 0; i < message.Length; i++)
        {
            var tampered = (byte[])message.Clone();
            tampered[i] ^= 0x40;
            Assert.Throws<SyncProtocolException>(() => seal.Open(tampered, out _));
        }
        Assert.Throws<SyncProtocolException>(() => seal.Open(message.AsSpan(0, 10), out _));
    }
}
