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
            p => SyncMessages.DecodeSnapshot(p), p => SyncMessages.DecodeResync(p), p => SyncMessages.DecodeAttestation(p),
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

    [Fact]
    public void MutatedAttestations_DecodeOrFailAsProtocolErrors()
    {
        var valid = SyncMessages.EncodeAttestation(new(SyncMessages.AttestationStep.Claim, "ledger", [1, 2, 3, 4, 5, 6, 7, 8]));
        var decoded = SyncMessages.DecodeAttestation(valid);
        Assert.Equal(("ledger", SyncMessages.AttestationStep.Claim), (decoded.Name, decoded.Step));
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }, decoded.Body);
        Gen.Select(Gen.Int[0, valid.Length - 1], Gen.Byte, Gen.Int[0, valid.Length - 1]).Sample((at, value, cut) =>
        {
            var mutated = (byte[])valid.Clone();
            mutated[at] = value;
            OnlyProtocolErrors(mutated);
            Assert.Throws<SyncProtocolException>(() => SyncMessages.DecodeAttestation(valid.AsSpan(0, cut)));
        }, iter: 2000 * TestSeed.Scale, threads: 1);
    }

    [Fact]
    public void AttestationsWithBadStepsOrNames_AreRefused()
    {
        var valid = SyncMessages.EncodeAttestation(new(SyncMessages.AttestationStep.Seen, "x", []));
        var badStep = (byte[])valid.Clone();
        badStep[1] = 3;
        Assert.Throws<SyncProtocolException>(() => SyncMessages.DecodeAttestation(badStep));
        var noName = (byte[])valid.Clone();
        noName[2] = 0; // name length 0, then the name byte is read as the body's length
        Assert.Throws<SyncProtocolException>(() => SyncMessages.DecodeAttestation(noName));
        var notUtf8 = (byte[])valid.Clone();
        notUtf8[3] = 0xff;
        Assert.Throws<SyncProtocolException>(() => SyncMessages.DecodeAttestation(notUtf8));
        Assert.Throws<InvalidArgumentException>(() => SyncMessages.EncodeAttestation(new(SyncMessages.AttestationStep.Seen, new string('n', 65), [])));
    }
}
