using LatticeKV.Replication;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Replication;

/// <summary>
/// A peer inventing origins cannot push this replica's version vectors past what a decoder
/// takes (FORMAT.md §15.4): the changes that would are refused whole, and the replica keeps syncing.
/// </summary>
public sealed class OriginLimitTests
{
    [Fact]
    public void Apply_ChangesFromMoreNewOriginsThanTheLimit_RefusedWhole_AndTheVectorStillDecodes()
    {
        using var dir = new TempDir("origin-limit");
        using var db = LatticeDb.Open(dir.Sub("r"), new DbOptions { WriteBufferSize = 4 << 20 });
        var kv = db.CreateColumnFamily("kv", new ColumnFamilyOptions { Replicated = true });
        var peer = Guid.NewGuid();
        RemoteChange Change(Guid origin, int i, ulong sequence = 1) => new()
        {
            Origin = origin, OriginSequence = sequence, Timestamp = 1 << 16, ColumnFamily = "kv", Operation = ChangeOperation.Put,
            Key = B($"k{i}"), Value = B("v"), Context = new VersionVector(), SourcePosition = (ulong)i + 1,
        };
        // Up to the limit, less one: taken.
        var within = Enumerable.Range(0, VersionVector.MaxOrigins - 1).Select(i => Change(Guid.NewGuid(), i)).ToList();
        db.Replication.Applier.Apply(peer, within, (ulong)within.Count);
        Assert.Equal(VersionVector.MaxOrigins - 1, db.Replication.Applied.Count);

        // Two more new origins in one part: the part is refused, nothing of it written.
        var over = new List<RemoteChange> { Change(Guid.NewGuid(), within.Count), Change(Guid.NewGuid(), within.Count + 1) };
        var error = Assert.Throws<SyncProtocolException>(() => db.Replication.Applier.Apply(peer, over, (ulong)within.Count + 2));
        Assert.Contains("origin replicas", error.Message, StringComparison.Ordinal);
        Assert.Equal(VersionVector.MaxOrigins - 1, db.Replication.Applied.Count);
        Assert.Null(db.Get(kv, B($"k{within.Count}")));
        Assert.Equal((ulong)within.Count, db.Replication.PeerCursor(peer));

        // A known origin's next change still applies, and the vector a Pull would send decodes.
        var known = within[0].Origin;
        db.Replication.Applier.Apply(peer, [Change(known, within.Count + 2, sequence: 2)], (ulong)within.Count + 3);
        Assert.Equal("v", S(db.Get(kv, B($"k{within.Count + 2}"))));
        var decoded = VersionVector.Decode(db.Replication.Applied.ToArray());
        Assert.Equal(VersionVector.MaxOrigins - 1, decoded.Count);
    }
}
