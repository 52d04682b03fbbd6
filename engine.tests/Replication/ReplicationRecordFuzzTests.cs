using CsCheck;
using LatticeKV.Coding;
using LatticeKV.Replication;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Replication;

/// <summary>
/// The replication log's records are read from disk as untrusted: random and mutated bytes decode
/// or fail with <see cref="CorruptionException"/>, never another exception.
/// </summary>
public sealed class ReplicationRecordFuzzTests
{
    private static void OnlyCorruption(byte[] data)
    {
        foreach (var decode in new Action<byte[]>[]
        {
            d => ChangeRecord.Decode(d, 1), d => VersionVector.Decode(d), d => VersionRecord.Checked(d), d => VersionRecord.BaseContext(d),
            d => ConflictStore.DecodeAudit(new byte[8], d), d => ConflictStore.DecodeSibling(d),
            d => QuarantineStore.Decode(new byte[QuarantineStore.KeySize], d), d => QuarantineStore.Decode(d.AsSpan(0, Math.Min(d.Length, 30)), d),
            d => ConflictStore.DecodeAudit(d.AsSpan(0, Math.Min(d.Length, 8)), d),
        })
        {
            try { decode(data); }
            catch (CorruptionException) { }
        }
    }

    private static byte[] ValidChange()
    {
        var w = new ByteWriter(128);
        var change = new RemoteChange
        {
            Origin = Guid.NewGuid(), OriginSequence = 5, Timestamp = 77, ColumnFamily = "kv", Operation = ChangeOperation.Put,
            Key = [1, 2, 3], Value = [4, 5], Context = new VersionVector(),
        };
        change.Context.Observe(Guid.NewGuid(), 9);
        ChangeRecord.EncodeRelayed(w, change, 3);
        return w.ToArray();
    }

    private static byte[] ValidQuarantineRecord() => QuarantineStore.Encode(Guid.NewGuid(), 1234 << 16, new RemoteChange
    {
        Origin = Guid.NewGuid(), OriginSequence = 5, Timestamp = 77, ColumnFamily = "docs", Operation = ChangeOperation.Put,
        Key = [1, 2, 3], Value = [4, 5], Context = new VersionVector(),
    }, "not a JSON object");

    [Fact]
    public void RandomBytes_DecodeOrFailAsCorruption()
        => Gen.Byte.Array[0, 160].Sample(OnlyCorruption, iter: 5000 * TestSeed.Scale, threads: 1);

    [Fact]
    public void MutatedAndCutRecords_DecodeOrFailAsCorruption()
    {
        var valid = ValidChange();
        var decoded = ChangeRecord.Decode(valid, 1);
        Assert.Equal(new byte[] { 1, 2, 3 }, decoded.Key.ToArray());
        Assert.Equal(9ul, VersionVector.Decode(decoded.Context)[VersionVector.Decode(decoded.Context).Entries.Single().Key]);
        Gen.Select(Gen.Int[0, valid.Length - 1], Gen.Byte, Gen.Int[0, valid.Length]).Sample((at, value, cut) =>
        {
            var mutated = (byte[])valid.Clone();
            mutated[at] = value;
            OnlyCorruption(mutated);
            OnlyCorruption(valid[..cut]);
        }, iter: 5000 * TestSeed.Scale, threads: 1);
    }

    [Fact]
    public void MutatedAndCutQuarantineRecords_DecodeOrFailAsCorruption()
    {
        var valid = ValidQuarantineRecord();
        var key = QuarantineStore.Key(new Dot(Guid.NewGuid(), 42, 0));
        var decoded = QuarantineStore.Decode(key, valid);
        Assert.Equal("not a JSON object", decoded.Reason);
        Assert.Equal(42ul, decoded.Version.OriginSequence);
        Assert.Equal(key, QuarantineStore.KeyOf(decoded.Id));
        Gen.Select(Gen.Int[0, valid.Length - 1], Gen.Byte, Gen.Int[0, valid.Length]).Sample((at, value, cut) =>
        {
            var mutated = (byte[])valid.Clone();
            mutated[at] = value;
            OnlyCorruption(mutated);
            OnlyCorruption(valid[..cut]);
        }, iter: 5000 * TestSeed.Scale, threads: 1);
    }

    /// <summary>A quarantined change's id comes from the user (lkv quarantine --discard): anything else is a typed argument error.</summary>
    [Fact]
    public void HostileQuarantineIds_AreInvalidArguments()
        => Gen.String.Sample(id =>
        {
            try { QuarantineStore.KeyOf(id); }
            catch (InvalidArgumentException) { }
        }, iter: 5000 * TestSeed.Scale, threads: 1);
}
