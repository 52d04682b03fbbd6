using System.Buffers.Binary;
using LatticeKV.Db;
using LatticeKV.Io;
using LatticeKV.Tests.Support;
using LatticeKV.Wal;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Db;

/// <summary>
/// Batches are logged with the 12-byte untimed header unless they touch a column family with a
/// TTL (FORMAT.md §3); both headers replay, including timed batches of any family that a
/// database of format 1 wrote.
/// </summary>
public class WalBatchHeaderTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static List<byte[]> LogRecords(MemFileSystem fs)
    {
        var records = new List<byte[]>();
        foreach (string name in fs.ListFiles(DbPath).Where(n => n.EndsWith(".log", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var file = fs.OpenRead(Path.Combine(DbPath, name));
            var reader = new LogReader(file);
            while (reader.ReadRecord(out var record, out _)) records.Add(record.ToArray());
        }
        return records;
    }

    private static bool IsUntimed(byte[] record) => (BinaryPrimitives.ReadUInt32LittleEndian(record.AsSpan(8)) & 0x8000_0000) != 0;

    [Fact]
    public void Log_PlainFamiliesUntimed_TtlFamiliesTimed_AndReplayKeepsWriteTimes()
    {
        var clock = new ManualClock(Start);
        var fs = new MemFileSystem();
        var db = LatticeDb.Open(DbPath, MemOptions(fs, o => o.Clock = clock));
        var sessions = db.CreateColumnFamily("sessions", new ColumnFamilyOptions { Ttl = TimeSpan.FromHours(1) });
        var notes = db.CreateColumnFamily("notes", new ColumnFamilyOptions());
        db.Put(B("plain"), B("p"));
        db.Put(notes, B("note"), B("n"));
        clock.Advance(TimeSpan.FromMinutes(10));
        db.Put(sessions, B("token"), B("t"));
        var mixed = new WriteBatch();
        mixed.Put(B("mixed-plain"), B("mp"));
        mixed.Put(sessions, B("mixed-token"), B("mt"));
        db.Write(mixed);

        var records = LogRecords(fs);
        Assert.Equal(4, records.Count);
        Assert.True(IsUntimed(records[0]) && IsUntimed(records[1]));
        // An untimed record is the batch without its 8-byte time: "plain" → 12 + tag + lp + lp.
        Assert.Equal(12 + 1 + 6 + 2, records[0].Length);
        Assert.False(IsUntimed(records[2]));
        Assert.False(IsUntimed(records[3]));
        Assert.Equal(Start.AddMinutes(10).ToUnixTimeMilliseconds(), BinaryPrimitives.ReadInt64LittleEndian(records[2].AsSpan(12)));
        var untimed = new WriteBatchReader(records[1]);
        Assert.Null(untimed.CommitTimeMs);
        Assert.True(untimed.MoveNext());
        Assert.Equal(notes.Id, untimed.ColumnFamilyId);

        var crashed = fs.CrashClone(powerLoss: false);
        db.Dispose();
        clock.Advance(TimeSpan.FromMinutes(55));  // 65 minutes after the plain puts, 55 after the timed ones
        using var reopened = LatticeDb.Open(DbPath, MemOptions(crashed, o => o.Clock = clock));
        var s2 = reopened.GetColumnFamily("sessions");
        var n2 = reopened.GetColumnFamily("notes");
        Assert.Equal("p", S(reopened.Get(B("plain"))));
        Assert.Equal("n", S(reopened.Get(n2, B("note"))));
        Assert.Equal("mp", S(reopened.Get(B("mixed-plain"))));
        Assert.Equal("t", S(reopened.Get(s2, B("token"))));
        Assert.Equal("mt", S(reopened.Get(s2, B("mixed-token"))));
        clock.Advance(TimeSpan.FromMinutes(6));    // 61 minutes after the timed puts: their original write time counts
        Assert.Null(reopened.Get(s2, B("token")));
        Assert.Null(reopened.Get(s2, B("mixed-token")));
        Assert.Equal("mp", S(reopened.Get(B("mixed-plain"))));
    }

    [Fact]
    public void Open_LogOfFormatOne_TimedBatchesOfPlainFamilies_ReplayAsPlainValues()
    {
        var clock = new ManualClock(Start);
        var fs = new MemFileSystem();
        using (var db = LatticeDb.Open(DbPath, MemOptions(fs, o => o.Clock = clock))) db.Put(B("before"), B("b"));

        // What a format-1 engine logged for every batch: the 20-byte timed header.
        long number = fs.ListFiles(DbPath).Select(n => FileNames.Parse(n, out long x) == DbFileKind.Log ? x : 0).Max() + 100;
        var batch = new WriteBatch();
        batch.Put(B("old-1"), B("v1"));
        batch.Delete(B("before"));
        batch.Put(B("old-2"), B("v2"));
        batch.SetHeader(2, Start.ToUnixTimeMilliseconds()); // right after "before": numbers in the logs are contiguous
        using (var log = new LogWriter(fs.CreateWritable(FileNames.Log(DbPath, number))))
        {
            log.AddRecord(batch.Rep);
            log.File.Sync();
        }

        clock.Advance(TimeSpan.FromDays(400));
        using var reopened = LatticeDb.Open(DbPath, MemOptions(fs, o => o.Clock = clock));
        Assert.Equal("v1", S(reopened.Get(B("old-1"))));
        Assert.Equal("v2", S(reopened.Get(B("old-2"))));
        Assert.Null(reopened.Get(B("before")));
        reopened.Put(B("after"), B("a"));
        Assert.Equal("a", S(reopened.Get(B("after"))));
        Assert.Equal(5UL, reopened.LatestSequenceNumber);
    }

    [Fact]
    public void Reader_BothHeaders_DecodeTheSameOperations()
    {
        var batch = new WriteBatch();
        batch.Put(B("k"), B("v"));
        batch.DeleteRange(B("a"), B("c"));
        batch.SetHeader(42, 1234);
        Span<byte> head = stackalloc byte[WriteBatch.UntimedHeaderSize];
        WriteBatch.WriteUntimedHeader(head, 42, batch.Count);
        byte[] untimed = [.. head, .. batch.Body];
        Assert.Equal(batch.Rep.Length - 8, untimed.Length);

        var timed = new WriteBatchReader(batch.Rep);
        var plain = new WriteBatchReader(untimed);
        Assert.Equal(1234L, timed.CommitTimeMs);
        Assert.Null(plain.CommitTimeMs);
        Assert.Equal(timed.Sequence, plain.Sequence);
        Assert.Equal(2, plain.Count);
        while (timed.MoveNext())
        {
            Assert.True(plain.MoveNext());
            Assert.Equal(timed.Kind, plain.Kind);
            Assert.Equal(timed.Key.ToArray(), plain.Key.ToArray());
            Assert.Equal(timed.Value.ToArray(), plain.Value.ToArray());
        }
        Assert.False(plain.MoveNext());
    }

    [Fact]
    public void Reader_HeaderCutShort_IsCorruption()
    {
        var batch = new WriteBatch();
        batch.Put(B("k"), B("v"));
        batch.SetHeader(1, 0);
        // A timed header cut anywhere before its 20th byte, and an untimed one before its 12th.
        for (int length = 0; length < WriteBatch.HeaderSize; length++)
        {
            byte[] cut = batch.Rep[..length].ToArray();
            Assert.Throws<CorruptionException>(() => new WriteBatchReader(cut));
        }
        byte[] untimed = new byte[WriteBatch.UntimedHeaderSize];
        WriteBatch.WriteUntimedHeader(untimed, 1, 1);
        for (int length = 0; length < untimed.Length; length++)
        {
            byte[] cut = untimed[..length];
            Assert.Throws<CorruptionException>(() => new WriteBatchReader(cut));
        }
        Assert.Throws<CorruptionException>(() =>
        {
            var r = new WriteBatchReader(untimed);   // count 1, no operation
            r.MoveNext();
        });
    }
}
