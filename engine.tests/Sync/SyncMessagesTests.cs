using LatticeKV.Coding;
using LatticeKV.Replication;
using LatticeKV.Sync;

namespace LatticeKV.Tests.Sync;

/// <summary>
/// A Changes frame's decoder reuses the previous change's family name and context when their
/// bytes repeat (a run of one origin's changes): every change still reads back as it was sent.
/// </summary>
public sealed class SyncMessagesTests
{
    private static RemoteChange Change(ulong position, string family, VersionVector context, ChangeOperation operation = ChangeOperation.Put)
        => new()
        {
            Origin = Guid.NewGuid(), OriginSequence = position, Timestamp = 1000 + position, ColumnFamily = family, Operation = operation,
            Key = [(byte)position], Value = operation == ChangeOperation.Delete ? null : [(byte)position, 1], Context = context, SourcePosition = position,
        };

    private static byte[] Encode(IReadOnlyList<RemoteChange> changes)
    {
        var w = new ByteWriter(256);
        SyncMessages.EncodeChanges(w, caughtUp: false, through: changes[^1].SourcePosition, changes);
        return w.ToArray();
    }

    [Fact]
    public void DecodeChanges_RunsOfFamiliesAndContexts_ReadBackAsSent_SharingOnlyEqualOnes()
    {
        var empty = new VersionVector();
        var seen = new VersionVector();
        seen.Observe(Guid.NewGuid(), 42);
        var seenAgain = new VersionVector(); // equal to seen, another object at the sender
        seenAgain.MergeFrom(seen);
        var more = seen.Clone();
        more.Observe(Guid.NewGuid(), 7);
        var sent = new List<RemoteChange>
        {
            Change(1, "kv", empty), Change(2, "kv", empty), Change(3, "other", empty, ChangeOperation.Delete),
            Change(4, "other", seen), Change(5, "kv", seenAgain), Change(6, "kv", more), Change(7, "kv", empty),
        };

        var got = SyncMessages.DecodeChanges(Encode(sent)).Changes;

        Assert.Equal(sent.Count, got.Count);
        for (int i = 0; i < sent.Count; i++)
        {
            Assert.Equal((sent[i].Origin, sent[i].OriginSequence, sent[i].Timestamp, sent[i].ColumnFamily, sent[i].Operation, sent[i].SourcePosition),
                (got[i].Origin, got[i].OriginSequence, got[i].Timestamp, got[i].ColumnFamily, got[i].Operation, got[i].SourcePosition));
            Assert.Equal(sent[i].Key, got[i].Key);
            Assert.Equal(sent[i].Value, got[i].Value);
            Assert.Equal(sent[i].Context.ToArray(), got[i].Context.ToArray());
        }
        Assert.Same(got[0].Context, got[1].Context);
        Assert.Same(got[0].Context, got[2].Context);
        Assert.NotSame(got[2].Context, got[3].Context);
        Assert.Same(got[3].Context, got[4].Context); // equal bytes from different objects
        Assert.NotSame(got[4].Context, got[5].Context);
        Assert.NotSame(got[5].Context, got[6].Context);
        Assert.Empty(got[6].Context.Entries);
        Assert.Same(got[0].ColumnFamily, got[1].ColumnFamily);
        Assert.Equal("other", got[3].ColumnFamily);
    }

    [Fact]
    public void ChangesEncoder_ChangesAsTheReaderHandsThemOver_WritesTheBytesOfEncodeChanges()
    {
        var seen = new VersionVector();
        seen.Observe(Guid.NewGuid(), 42);
        seen.Observe(Guid.NewGuid(), 7);
        var sent = new List<RemoteChange>
        {
            Change(1, "kv", new VersionVector()), Change(2, "kv", seen), Change(3, "other", seen, ChangeOperation.Delete),
            Change(4, "other", seen, ChangeOperation.Merge), Change(5, "kv", new VersionVector()),
        };
        var encoder = new SyncMessages.ChangesEncoder();
        var w = new ByteWriter(16);
        foreach (bool caughtUp in new[] { false, true })
        {
            // Twice with one encoder: a frame starts afresh after Begin.
            encoder.Begin();
            foreach (var c in sent)
                encoder.Add(new ChangeView
                {
                    Origin = c.Origin, OriginSequence = c.OriginSequence, Timestamp = c.Timestamp, ColumnFamily = c.ColumnFamily, Operation = c.Operation,
                    Key = c.Key, Value = c.Value, Context = c.Context, SourcePosition = c.SourcePosition,
                });
            encoder.Finish(w, caughtUp, through: 9);

            var expected = new ByteWriter(256);
            SyncMessages.EncodeChanges(expected, caughtUp, through: 9, sent);
            Assert.Equal(expected.ToArray(), w.ToArray());
            Assert.Equal(sent.Count, encoder.Count);
        }
    }

    [Fact]
    public void DecodeChanges_ALaterChangesContextTruncated_IsAProtocolError()
    {
        var seen = new VersionVector();
        seen.Observe(Guid.NewGuid(), 300);
        var bytes = Encode([Change(1, "kv", seen), Change(2, "kv", seen)]);
        // Cut inside the second change's context (its last 10 bytes): the first change's equal bytes must not stand in for it.
        Assert.Throws<SyncProtocolException>(() => SyncMessages.DecodeChanges(bytes.AsSpan(0, bytes.Length - 10)));
    }

    [Theory]
    [InlineData(ulong.MaxValue)]
    [InlineData(253402300800000UL << 16)] // the first millisecond after 9999-12-31
    public void DecodeChanges_TimestampPastTheCalendarsEnd_IsAProtocolError(ulong timestamp)
    {
        // Observed into the clock, such a reading would make the clock wrap (ulong.MaxValue + 1) and
        // every conflict record stamped after it unreadable.
        var change = Change(1, "kv", new VersionVector());
        Assert.NotNull(SyncMessages.DecodeChanges(Encode([change])));
        var bytes = Encode([new RemoteChange
        {
            Origin = change.Origin, OriginSequence = 1, Timestamp = timestamp, ColumnFamily = "kv", Operation = ChangeOperation.Put,
            Key = change.Key, Value = change.Value, Context = change.Context, SourcePosition = 1,
        }]);
        var error = Assert.Throws<SyncProtocolException>(() => SyncMessages.DecodeChanges(bytes));
        Assert.Contains("calendar", error.Message, StringComparison.Ordinal);
        var lastDay = Encode([new RemoteChange
        {
            Origin = change.Origin, OriginSequence = 1, Timestamp = (253402300799999UL << 16) | 0xFFFF, ColumnFamily = "kv", Operation = ChangeOperation.Put,
            Key = change.Key, Value = change.Value, Context = change.Context, SourcePosition = 1,
        }]);
        Assert.NotNull(SyncMessages.DecodeChanges(lastDay));
    }
}
