using CsCheck;
using LatticeKV.Replication;
using LatticeKV.Sync;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Sync;

/// <summary>The sync protocol's payload decoders read untrusted bytes: anything is a message or a <see cref="SyncProtocolException"/>, never another exception.</summary>
public sealed class SyncMessagesFuzzTests
{
    private static void OnlyProtocolErrors(byte[] payload)
    {
        foreach (var decode in new Action<byte[]>[]
        {
            p => SyncMessages.DecodePull(p), p => SyncMessages.DecodeChanges(p), p => SyncMessages.DecodeAck(p),
            p => SyncMessages.DecodeSnapshot(p), p => SyncMessages.DecodeResync(p),
        })
        {
            try { decode(payload); }
            catch (SyncProtocolException) { }
        }
    }

    private static byte[] ValidChanges()
    {
        var context = new VersionVector();
        context.Observe(Guid.NewGuid(), 7);
        var changes = new List<RemoteChange>
        {
            new() { Origin = Guid.NewGuid(), OriginSequence = 3, Timestamp = 99, ColumnFamily = "kv", Operation = ChangeOperation.Put, Key = [1, 2], Value = [3, 4, 5], Context = context, SourcePosition = 10 },
            new() { Origin = Guid.NewGuid(), OriginSequence = 4, Timestamp = 100, ColumnFamily = "kv", Operation = ChangeOperation.Delete, Key = [9], Context = new VersionVector(), SourcePosition = 12 },
        };
        var w = new LatticeKV.Coding.ByteWriter(256);
        SyncMessages.EncodeChanges(w, caughtUp: true, through: 12, changes);
        return w.ToArray();
    }

    [Fact]
    public void RandomPayloads_DecodeOrFailAsProtocolErrors()
        => Gen.Byte.Array[0, 200].Sample(OnlyProtocolErrors, iter: 5000 * TestSeed.Scale, threads: 1);

    [Fact]
    public void MutatedValidChanges_DecodeOrFailAsProtocolErrors()
    {
        var valid = ValidChanges();
        var decoded = SyncMessages.DecodeChanges(valid);
        Assert.Equal(2, decoded.Changes.Count);
        Assert.True(decoded.CaughtUp);
        Assert.Equal(new byte[] { 3, 4, 5 }, decoded.Changes[0].Value);
        Gen.Select(Gen.Int[0, valid.Length - 1], Gen.Byte, Gen.Int[0, valid.Length]).Sample((at, value, cut) =>
        {
            var mutated = (byte[])valid.Clone();
            mutated[at] = value;
            OnlyProtocolErrors(mutated);
            OnlyProtocolErrors(valid[..cut]);
        }, iter: 5000 * TestSeed.Scale, threads: 1);
    }

    [Fact]
    public void ChangesOutOfOrderOrPastThrough_AreRefused()
    {
        var change = new RemoteChange { Origin = Guid.NewGuid(), OriginSequence = 1, Timestamp = 1, ColumnFamily = "kv", Operation = ChangeOperation.Put, Key = [1], Value = [], Context = new VersionVector(), SourcePosition = 20 };
        var w = new LatticeKV.Coding.ByteWriter(64);
        SyncMessages.EncodeChanges(w, caughtUp: false, through: 10, [change]);
        Assert.Throws<SyncProtocolException>(() => SyncMessages.DecodeChanges(w.ToArray()));
    }
}
