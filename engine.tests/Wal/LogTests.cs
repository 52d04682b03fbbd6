using LatticeKV.Io;
using LatticeKV.Wal;

namespace LatticeKV.Tests.Wal;

public class LogTests
{
    private static (MemFileSystem Fs, string Path) Write(IEnumerable<byte[]> records, string name = "l")
    {
        var fs = new MemFileSystem();
        fs.CreateDirectory("/d");
        using (var w = new LogWriter(fs.CreateWritable("/d/" + name)))
        {
            foreach (var r in records) w.AddRecord(r);
            w.File.Sync();
        }
        return (fs, "/d/" + name);
    }

    private static (List<byte[]> Records, IReadOnlyList<LogIssue> Issues) ReadAll(MemFileSystem fs, string path)
    {
        using var f = fs.OpenRead(path);
        var reader = new LogReader(f);
        var list = new List<byte[]>();
        while (reader.ReadRecord(out var rec, out _)) list.Add(rec.ToArray());
        return (list, reader.Issues);
    }

    private static byte[] Record(int length, int seed)
    {
        var b = new byte[length];
        new Random(seed).NextBytes(b);
        return b;
    }

    [Fact]
    public void AddRecord_SizesAroundBlockBoundaries_ReadBackExactly()
    {
        // First record leaves 0..8 bytes in the first block, so the second starts in the trailer
        // zone, exactly at the boundary, or with room for only a header.
        for (int slack = 0; slack <= 8; slack++)
        {
            int first = LogFormat.BlockSize - LogFormat.HeaderSize - slack;
            var records = new[] { Record(first, slack), Record(10, 100 + slack), Record(0, 200), Record(LogFormat.BlockSize * 3 + 17, 300) };
            var (fs, path) = Write(records);
            var (read, issues) = ReadAll(fs, path);
            Assert.Empty(issues);
            Assert.Equal(records.Length, read.Count);
            for (int i = 0; i < records.Length; i++) Assert.Equal(records[i], read[i]);
        }
    }

    [Fact]
    public void AddRecord_HeadAndBody_WritesTheBytesOfTheJoinedRecord()
    {
        // Head and body split anywhere a block can end: inside the head, at its end, in the body,
        // with the head alone in the block's last bytes, and across several blocks.
        foreach (int bodyLength in new[] { 0, 1, 100, LogFormat.BlockSize * 2 + 5 })
        {
            for (int slack = 0; slack <= 30; slack++)
            {
                var filler = Record(LogFormat.BlockSize - LogFormat.HeaderSize * 2 - slack, slack);
                var head = Record(12, 1000 + slack);
                var body = Record(bodyLength, 2000 + slack);
                var joined = new MemFileSystem();
                joined.CreateDirectory("/d");
                var split = new MemFileSystem();
                split.CreateDirectory("/d");
                using (var a = new LogWriter(joined.CreateWritable("/d/l")))
                using (var b = new LogWriter(split.CreateWritable("/d/l")))
                {
                    a.AddRecord(filler);
                    b.AddRecord(filler);
                    a.AddRecord([.. head, .. body]);
                    b.AddRecord(head, body);
                    a.AddRecord(head);
                    b.AddRecord(head, default);
                    a.File.Flush();
                    b.File.Flush();
                }
                Assert.Equal(joined.GetContents("/d/l"), split.GetContents("/d/l"));
                var (read, issues) = ReadAll(split, "/d/l");
                Assert.Empty(issues);
                Assert.Equal([.. head, .. body], read[1]);
            }
        }
    }

    [Fact]
    public void AddRecord_LargerThanBlock_IsFragmentedAndReassembled()
    {
        var big = Record(LogFormat.BlockSize * 5 + 123, 1);
        var (fs, path) = Write([big, Record(5, 2)]);
        var bytes = fs.GetContents(path);
        Assert.Equal((byte)LogRecordType.First, bytes[6]);
        Assert.Equal((byte)LogRecordType.Middle, bytes[LogFormat.BlockSize + 6]);
        var (read, issues) = ReadAll(fs, path);
        Assert.Empty(issues);
        Assert.Equal(big, read[0]);
    }

    /// <summary>
    /// A crash while a record spanning blocks was being copied: its next fragment's payload is
    /// written but not its header (stored last), and the reserved space after it is zeros. That
    /// is a torn tail, not damage (found by a kill -9 during a migration's large batches).
    /// </summary>
    [Theory]
    [InlineData(1)] // the MIDDLE fragment
    [InlineData(2)] // the LAST fragment
    public void ReadRecord_AFragmentWhoseHeaderWasNeverWritten_EndsATornTail(int fragment)
    {
        var records = new[] { Record(100, 1), Record(LogFormat.BlockSize * 2 + 500, 2) };
        var (fs, path) = Write(records);
        var bytes = fs.GetContents(path).Concat(new byte[LogFormat.BlockSize * 2]).ToArray();
        // Fragments are copied in order, each payload before its header: the crash came half way through this one.
        Array.Clear(bytes, LogFormat.BlockSize * fragment, LogFormat.HeaderSize);
        Array.Clear(bytes, LogFormat.BlockSize * fragment + 200, bytes.Length - (LogFormat.BlockSize * fragment + 200));
        fs.SetContents(path, bytes);
        var (read, issues) = ReadAll(fs, path);
        Assert.Equal([records[0]], read);
        Assert.NotEmpty(issues);
        Assert.All(issues, i => Assert.True(i.IsTruncatedTail && !i.IntactRecordFollows, i.Reason));
    }

    [Fact]
    public void ReadRecord_TruncatedAtEveryOffsetOfLastRecord_ReportsOnlyATail()
    {
        var records = new[] { Record(100, 1), Record(LogFormat.BlockSize + 50, 2), Record(300, 3) };
        var (fs, path) = Write(records);
        var full = fs.GetContents(path);
        int lastStart = full.Length - (300 + LogFormat.HeaderSize);
        for (int cut = lastStart + 1; cut < full.Length; cut++)
        {
            fs.SetContents(path, full.AsSpan(0, cut));
            var (read, issues) = ReadAll(fs, path);
            Assert.Equal(2, read.Count);
            Assert.Equal(records[1], read[1]);
            Assert.All(issues, i => Assert.True(i.Offset >= lastStart));
        }
    }

    [Fact]
    public void ReadRecord_CorruptionInMiddle_ReportedAndLaterRecordsStillRead()
    {
        var records = Enumerable.Range(0, 50).Select(i => Record(2000, i)).ToArray();
        var (fs, path) = Write(records);
        var bytes = fs.GetContents(path);
        bytes[5000] ^= 0x40; // inside the first block
        fs.SetContents(path, bytes);
        var (read, issues) = ReadAll(fs, path);
        Assert.NotEmpty(issues);
        Assert.Contains(issues, i => !i.IsTruncatedTail && i.Offset <= 5000);
        Assert.Equal(records[^1], read[^1]); // records in later blocks survive
        Assert.True(read.Count < records.Length);
    }

    [Fact]
    public void ReadRecord_ZeroFilledTail_IsUnwrittenReservedSpace()
    {
        var (fs, path) = Write([Record(100, 1)]);
        var bytes = fs.GetContents(path).Concat(new byte[100_000]).ToArray();
        fs.SetContents(path, bytes);
        var (read, issues) = ReadAll(fs, path);
        Assert.Single(read);
        Assert.Empty(issues);
    }

    [Fact]
    public void ReadRecord_ZerosFollowedByRecords_ReportedAsDamage()
    {
        var (fs, path) = Write(Enumerable.Range(0, 40).Select(i => Record(3000, i)));
        var bytes = fs.GetContents(path);
        Array.Clear(bytes, 20_000, 4_000); // a hole inside the log
        fs.SetContents(path, bytes);
        var (read, issues) = ReadAll(fs, path);
        Assert.NotEmpty(issues);
        Assert.Contains(issues, i => i.IntactRecordFollows || i.Offset < bytes.Length - 40_000);
        Assert.True(read.Count < 40);
    }

    /// <summary>150 records of 307 bytes (over two blocks) in a file named <paramref name="name"/>, with [<paramref name="from"/>, +<paramref name="length"/>) zeroed, read back.</summary>
    private static (byte[][] Written, List<byte[]> Read, IReadOnlyList<LogIssue> Issues) ReadWithHole(string name, int from, int length)
    {
        var records = Enumerable.Range(0, 150).Select(i => Record(300, i)).ToArray();
        var (fs, path) = Write(records, name);
        var bytes = fs.GetContents(path);
        Array.Clear(bytes, from, length);
        fs.SetContents(path, bytes);
        var (read, issues) = ReadAll(fs, path);
        return (records, read, issues);
    }

    [Theory]
    [InlineData(8192, 4096)]  // a whole page never reached the disk
    [InlineData(32 * 307, 12288 - 32 * 307)] // a page reached it as it was before its last records: zeros from a record to the page's end
    public void ReadRecord_WriteAheadLogWithALostPage_EndsThereAsATornTail(int from, int length)
    {
        var (records, read, issues) = ReadWithHole("000007.log", from, length);
        // Everything before the hole, nothing after it (later records were never synced: replaying them would skip earlier ones).
        Assert.Equal(records.Take(read.Count), read);
        Assert.True(read.Count >= from / 307 - 1 && read.Count <= from / 307 + 1, $"{read.Count} records read");
        var issue = Assert.Single(issues);
        Assert.True(issue.IsTruncatedTail && !issue.IntactRecordFollows, issue.Reason);
    }

    [Fact]
    public void ReadRecord_ManifestWithTheSameHole_ReportsDamage()
    {
        // A MANIFEST is synced record by record: a hole in it is damage, never a lost tail.
        var (records, read, issues) = ReadWithHole("MANIFEST-000001", 8192, 4096);
        Assert.Contains(issues, i => i.IntactRecordFollows || !i.IsTruncatedTail);
        Assert.Equal(records[^1], read[^1]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(6)]
    public void ReadRecord_ZeroFillShorterThanAHeaderAtTheEnd_IsUnwrittenSpaceNotATornTail(int zeros)
    {
        // A closed log not yet trimmed: its file ends a few zero bytes past its last record.
        var records = Enumerable.Range(0, 5).Select(i => Record(100, i)).ToArray();
        var (fs, path) = Write(records, "000009.log");
        var bytes = fs.GetContents(path);
        fs.SetContents(path, [.. bytes, .. new byte[zeros]]);
        var (read, issues) = ReadAll(fs, path);
        Assert.Equal(records, read);
        Assert.Empty(issues);
    }

    [Fact]
    public void ReadRecord_NonZeroBytesShorterThanAHeaderAtTheEnd_AreATornTail()
    {
        var records = Enumerable.Range(0, 5).Select(i => Record(100, i)).ToArray();
        var (fs, path) = Write(records, "000009.log");
        var bytes = fs.GetContents(path);
        fs.SetContents(path, [.. bytes, 0x11, 0x22, 0x33]);
        var (read, issues) = ReadAll(fs, path);
        Assert.Equal(records, read);
        Assert.True(Assert.Single(issues).IsTruncatedTail);
    }

    [Fact]
    public void ReadRecord_WriteAheadLogHoleNotReachingAPageEnd_ReportsDamage()
    {
        var (_, _, issues) = ReadWithHole("000007.log", 9000, 500);
        Assert.Contains(issues, i => i.IntactRecordFollows || !i.IsTruncatedTail);
    }

    /// <summary>
    /// A length field that grows (one flipped bit) makes a record run past the end of the file,
    /// the shape of a record cut short by a crash. Before intact records it is damage, not a torn
    /// tail (the records after it were written later); on the last record it is a tail.
    /// </summary>
    [Theory]
    [InlineData(3, false)]
    [InlineData(9, true)]
    public void ReadRecord_LengthRunningPastTheEnd_IsATornTailOnlyOnTheLastRecord(int damaged, bool tail)
    {
        var (fs, path) = Write(Enumerable.Range(0, 10).Select(i => Record(100, i)));
        var bytes = fs.GetContents(path);
        int start = damaged * (LogFormat.HeaderSize + 100);
        bytes[start + 5] ^= 0x10; // length 100 + 4096: past the end of this 1,070-byte file, within its block
        fs.SetContents(path, bytes);
        var (read, issues) = ReadAll(fs, path);
        Assert.Equal(damaged, read.Count);
        var issue = Assert.Single(issues);
        Assert.Equal(start, issue.Offset);
        Assert.Equal(tail, issue.IsTruncatedTail);
        Assert.Equal(!tail, issue.IntactRecordFollows);
    }
}
