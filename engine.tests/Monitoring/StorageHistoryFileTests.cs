using LatticeKV.Io;
using LatticeKV.Monitoring;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Monitoring;

public class StorageHistoryFileTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    internal static StorageSample Sample(int i) => new()
    {
        Time = T0 + TimeSpan.FromMinutes(10 * i),
        Levels = [new StorageLevelSize("default", 0, 1000 + i, 1), new StorageLevelSize("événements", 3, 1L << 40, 12)],
        LogBytes = 4096 * i,
        OtherBytes = 777,
        BackupBytes = i % 2 == 0 ? 123_456 : null,
        DiskFreeBytes = 50L << 30,
        DiskTotalBytes = 100L << 30,
    };

    private static MemFileSystem NewFs()
    {
        var fs = new MemFileSystem();
        fs.CreateDirectory(TestDb.DbPath);
        return fs;
    }

    [Fact]
    public void WriteThenRead_RoundTripsEveryField()
    {
        var fs = NewFs();
        var samples = Enumerable.Range(0, 5).Select(Sample).ToList();
        StorageHistoryFile.Write(fs, TestDb.DbPath, samples);
        var read = StorageHistoryFile.Read(fs, TestDb.DbPath);
        Assert.Equal(5, read.Count);
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(samples[i].Time, read[i].Time);
            Assert.Equal(samples[i].Levels, read[i].Levels);
            Assert.Equal(samples[i].LogBytes, read[i].LogBytes);
            Assert.Equal(samples[i].OtherBytes, read[i].OtherBytes);
            Assert.Equal(samples[i].BackupBytes, read[i].BackupBytes);
            Assert.Equal(samples[i].DiskFreeBytes, read[i].DiskFreeBytes);
            Assert.Equal(samples[i].DiskTotalBytes, read[i].DiskTotalBytes);
            Assert.Equal(samples[i].TotalBytes, read[i].TotalBytes);
        }
    }

    [Fact]
    public void Encode_WorkedExample_MatchesFormatMd()
    {
        var sample = new StorageSample
        {
            Time = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
            LogBytes = 4096,
            OtherBytes = 777,
            DiskFreeBytes = 1_000_000,
            DiskTotalBytes = 2_000_000,
            Levels = [new StorageLevelSize("default", 1, 5000, 2)],
        };
        string format = File.ReadAllText(Path.Combine(FormatTests.RepoRoot(), "FORMAT.md"));
        int start = format.IndexOf("```", format.IndexOf("Worked example: 2026-01-01T00:00:00Z, logs 4096", StringComparison.Ordinal), StringComparison.Ordinal) + 3;
        var block = format[start..format.IndexOf("```", start, StringComparison.Ordinal)];
        string hex = string.Concat(block.Split('\n').Select(line => line.Split("  ", 2)[0].Replace(" ", "", StringComparison.Ordinal)));
        Assert.Equal(hex, Convert.ToHexStringLower(StorageHistoryFile.Encode(sample)));
        var decoded = StorageHistoryFile.Decode(StorageHistoryFile.Encode(sample), "x", 0)!;
        Assert.Equal(sample.TotalBytes, decoded.TotalBytes);
    }

    [Fact]
    public void Read_NoFile_IsEmpty() => Assert.Empty(StorageHistoryFile.Read(NewFs(), TestDb.DbPath));

    [Fact]
    public void Read_FlippedByteInAnEarlyRecord_ThrowsCorruptionNamingFileAndOffset()
    {
        var fs = NewFs();
        StorageHistoryFile.Write(fs, TestDb.DbPath, [.. Enumerable.Range(0, 10).Select(Sample)]);
        string path = StorageHistoryFile.PathOf(TestDb.DbPath);
        var bytes = fs.ReadAllBytes(path);
        bytes[20] ^= 0x40; // inside the first record's payload
        fs.WriteAllBytesSynced(path, bytes);
        var ex = Assert.Throws<CorruptionException>(() => StorageHistoryFile.Read(fs, TestDb.DbPath));
        Assert.Equal(path, ex.FilePath);
        Assert.True(ex.Offset >= 0);
    }

    [Fact]
    public void Read_TruncatedInTheLastRecord_DropsOnlyTheTornTail()
    {
        var fs = NewFs();
        StorageHistoryFile.Write(fs, TestDb.DbPath, [.. Enumerable.Range(0, 10).Select(Sample)]);
        string path = StorageHistoryFile.PathOf(TestDb.DbPath);
        var bytes = fs.ReadAllBytes(path);
        fs.WriteAllBytesSynced(path, bytes.AsSpan(0, bytes.Length - 5));
        var read = StorageHistoryFile.Read(fs, TestDb.DbPath);
        Assert.Equal(9, read.Count);
        Assert.Equal(Sample(8).Time, read[^1].Time);
    }

    [Fact]
    public void Read_RecordOfANewerVersion_IsSkipped()
    {
        var fs = NewFs();
        var newer = StorageHistoryFile.Encode(Sample(1));
        newer[0] = StorageHistoryFile.RecordVersion + 1;
        using (var log = new LatticeKV.Wal.LogWriter(fs.CreateWritable(StorageHistoryFile.PathOf(TestDb.DbPath))))
        {
            log.AddRecord(StorageHistoryFile.Encode(Sample(0)));
            log.AddRecord(newer);
            log.AddRecord(StorageHistoryFile.Encode(Sample(2)));
        }
        var read = StorageHistoryFile.Read(fs, TestDb.DbPath);
        Assert.Equal([Sample(0).Time, Sample(2).Time], read.Select(s => s.Time));
    }

    [Fact]
    public void Thin_ManySamples_KeepsTheBoundTheNewestHalfAndTheOldest()
    {
        var samples = Enumerable.Range(0, 5000).Select(Sample).ToList();
        StorageHistoryFile.Thin(samples, 1024);
        Assert.InRange(samples.Count, 512, 1024);
        Assert.Equal(Sample(0).Time, samples[0].Time);
        // The newest 512 keep their ten-minute step; the history stays in time order.
        Assert.Equal(Enumerable.Range(5000 - 512, 512).Select(i => Sample(i).Time), samples.TakeLast(512).Select(s => s.Time));
        Assert.True(samples.Zip(samples.Skip(1)).All(p => p.First.Time < p.Second.Time));
    }

    [Fact]
    public void Thin_WithinTheBound_ChangesNothing()
    {
        var samples = Enumerable.Range(0, 100).Select(Sample).ToList();
        StorageHistoryFile.Thin(samples, 100);
        Assert.Equal(100, samples.Count);
    }
}
