using System.Text;
using LatticeKV.Io;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Io;

public class RealFileSystemTests
{
    private const string NoReservation = "this file system cannot reserve blocks (fallocate), so logs are plain files, not mapped";

    /// <summary>The log <see cref="RealFileSystem.CreateLog"/> made, or a visible skip where it could only make a plain file.</summary>
    private static RealMappedLogFile MappedOrSkip(IWritableFile file)
    {
        if (file is RealMappedLogFile log) return log;
        file.Dispose();
        throw new SkipException(NoReservation);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Create_OverALeftoverFile_StartsEmptyAndKeepsOnlyNewData(bool mappedLog)
    {
        using var dir = new TempDir("realfs");
        string path = dir.Sub("000007.log");
        File.WriteAllBytes(path, Enumerable.Repeat((byte)0xAB, 100_000).ToArray());
        var fs = RealFileSystem.Instance;
        using (var file = mappedLog ? fs.CreateLog(path, 1 << 20) : fs.CreateWritable(path))
        {
            Assert.Equal(0, file.Length);
            file.Append(Encoding.ASCII.GetBytes("fresh"));
            file.Sync();
        }
        Assert.Equal("fresh", File.ReadAllText(path));
    }

    [Fact]
    public void MappedLog_ClosedWithoutSync_KeepsEveryAppendedByte()
    {
        // Closing no longer msyncs the mapping: the bytes must still be in the file (page cache).
        using var dir = new TempDir("realfs");
        string path = dir.Sub("000009.log");
        var data = new byte[3 << 20];
        new Random(5).NextBytes(data);
        using (var file = RealFileSystem.Instance.CreateLog(path, 4 << 20))
        {
            for (int i = 0; i < data.Length; i += 4096) file.Append(data.AsSpan(i, 4096));
            file.Flush();
        }
        Assert.Equal(data, File.ReadAllBytes(path));
    }

    [SkippableFact]
    public void MappedLog_WhileOpen_IsNeverTruncatedToZero_AndStaysWithinAStepOfItsData()
    {
        // ext4's auto_da_alloc writes a file back at close when it was truncated to zero while
        // open; a log must stay at least a page long so its pages can be dropped on delete. It must
        // also not show much more than its data: an empty log is one page, not a whole step.
        using var dir = new TempDir("realfs");
        string path = dir.Sub("000011.log");
        const long page = 4096, maxStep = 1 << 20;
        long written;
        using (var file = MappedOrSkip(RealFileSystem.Instance.CreateLog(path, 8 << 20)))
        {
            Assert.Equal(0, file.Length);
            Assert.Equal(page, new FileInfo(path).Length);
            long previous = page;
            int grows = 0;
            var chunk = new byte[1000];
            while (file.Length < (3 << 20))
            {
                file.Append(chunk);
                long size = new FileInfo(path).Length;
                Assert.True(size >= file.Length, $"file {size} shorter than its data {file.Length}");
                Assert.Equal(0, size % page);
                if (size != previous)
                {
                    grows++;
                    // Doubling while small, then at most a step beyond the data.
                    Assert.True(size <= Math.Max(2 * previous, file.Length + maxStep), $"grew {previous} -> {size} at {file.Length}");
                    previous = size;
                }
            }
            // 4 KiB doubling to 1 MiB is 8 grows, then one per MiB: a few syscalls, not one per append.
            Assert.InRange(grows, 9, 12);
            written = file.Length;
        }
        // Closing trims the grown tail away.
        Assert.Equal(written, new FileInfo(path).Length);
    }

    [SkippableFact]
    public void MappedLog_ReservesWhatItHolds_AndEveryPageItCoversIsReserved()
    {
        // The blocks under every page the file covers are reserved (FALLOC_FL_KEEP_SIZE) before the
        // file is extended over them: writes through the mapping never need a block allocated on the
        // way to disk. But no more than that: a small log occupies about what it holds, not its capacity.
        Skip.IfNot(OperatingSystem.IsLinux(), "block reservation (fallocate) is Linux-only");
        using var dir = new TempDir("realfs");
        string path = dir.Sub("000013.log");
        const long capacity = 80 << 20;
        using var file = RealFileSystem.Instance.CreateLog(path, capacity);
        var log = Assert.IsType<RealMappedLogFile>(file);
        Assert.InRange(DiskUsage.AllocatedBytes(path), 4096, 64 << 10);
        var chunk = new byte[3000];
        new Random(13).NextBytes(chunk);
        while (file.Length < (3 << 20))
        {
            file.Append(chunk);
            long size = new FileInfo(path).Length;
            Assert.True(log.Reserved >= size, $"file covers {size} bytes, only {log.Reserved} reserved");
            Assert.True(log.Reserved <= size + (1 << 20), $"{log.Reserved} bytes reserved for a {size}-byte file");
        }
        file.Sync();
        long allocated = DiskUsage.AllocatedBytes(path);
        Assert.True(allocated >= new FileInfo(path).Length, $"{allocated} bytes allocated under a {new FileInfo(path).Length}-byte file");
        Assert.True(allocated <= file.Length + (1 << 20) + RealMappedLogFile.InitializeAheadChunk, $"{allocated} bytes allocated for {file.Length} bytes of log");
    }

    [SkippableFact]
    public void MappedLog_DiskFullWhenItMustGrow_FailsTheAppendBeforeCopyingAByte()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "block reservation (fallocate) is Linux-only");
        using var dir = new TempDir("realfs");
        string path = dir.Sub("000019.log");
        var faults = new SyscallFaults();
        using var file = new RealFileSystem(faults).CreateLog(path, 8 << 20);
        Assert.IsType<RealMappedLogFile>(file);
        var chunk = new byte[1000];
        chunk.AsSpan().Fill(0x5A);
        while (file.Length < 200_000) file.Append(chunk);
        long before = file.Length, size = new FileInfo(path).Length;
        faults.Errno = (call, _) => call == Syscall.Reserve ? 28 : 0;
        while (file.Length + chunk.Length <= size) file.Append(chunk); // fills what is already reserved
        var ex = Assert.Throws<LatticeIOException>(() => file.Append(chunk));
        Assert.True(ex.IsDiskFull);
        Assert.Contains("ENOSPC", ex.Message, StringComparison.Ordinal);
        long full = file.Length;
        Assert.True(full > before);
        Assert.Equal(size, new FileInfo(path).Length); // not extended over unreserved blocks

        faults.Errno = null; // space freed: the log carries on where it stopped
        file.Append(chunk);
        file.Sync();
        Assert.Equal(full + chunk.Length, file.Length);
        var contents = File.ReadAllBytes(path);
        Assert.All(contents[..(int)file.Length], b => Assert.Equal(0x5A, b));
    }

    [SkippableFact]
    public void MappedLog_GroupSizedSyncs_ZeroTheBlocksAheadOfTheData_SmallerAndLargerOnesDoNot()
    {
        using var dir = new TempDir("realfs");
        string path = dir.Sub("000015.log");
        var rnd = new Random(15);
        var data = new List<byte>();
        using (var log = MappedOrSkip(RealFileSystem.Instance.CreateLog(path, 4 << 20)))
        {
            void AppendAndSync(int size)
            {
                AppendRandom(log, rnd, data, size);
                log.Sync();
            }

            // A lone writer's records: zeroing a page per page of log would cost more than it saves.
            for (int i = 0; i < 200; i++) AppendAndSync(100 + rnd.Next(800));
            Assert.Equal(0, log.InitializedEnd);

            // A group's worth per fsync: the blocks past the data are written before it gets there.
            for (int i = 0; i < 300; i++)
            {
                AppendAndSync(1024 + rnd.Next(3000));
                Assert.True(log.InitializedEnd > log.Length, $"zeroed to {log.InitializedEnd}, data at {log.Length}");
                Assert.True(log.InitializedEnd <= log.Length + 2 * RealMappedLogFile.InitializeAheadChunk, $"zeroed to {log.InitializedEnd}, data at {log.Length}");
            }

            // Zeroing never reached back into data, and what lies ahead reads as unwritten log space.
            using (var reader = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            {
                var contents = new byte[log.InitializedEnd];
                Assert.Equal(contents.Length, RandomAccess.Read(reader, contents, 0));
                Assert.Equal(data.ToArray(), contents[..data.Count]);
                Assert.All(contents[data.Count..], b => Assert.Equal(0, b));
            }

            // A sync after many unsynced writes writes enough pages that one journal commit is
            // a small part of it: nothing more is zeroed ahead for it.
            long zeroed = log.InitializedEnd;
            var bulk = new byte[64 << 10];
            rnd.NextBytes(bulk);
            for (int i = 0; i < 4; i++)
            {
                log.Append(bulk);
                data.AddRange(bulk);
            }
            log.Sync();
            Assert.Equal(zeroed, log.InitializedEnd);
        }
        Assert.Equal(data.ToArray(), File.ReadAllBytes(path));
    }

    [SkippableFact]
    public void MappedLog_GroupSizedSyncs_LeaveTheBlocksAheadWritten_OnTheFilesystem()
    {
        // What the zeroing is for: the filesystem must see the blocks ahead as written (no journal
        // commit to convert them in a later fsync). Observable through FIEMAP where the filesystem
        // reports unwritten extents at all, as ext4 and XFS do.
        Skip.IfNot(OperatingSystem.IsLinux(), "FIEMAP is a Linux ioctl");
        using var dir = new TempDir("realfs");
        string path = dir.Sub("000017.log");
        using var log = MappedOrSkip(RealFileSystem.Instance.CreateLog(path, 4 << 20));
        var record = new byte[140];
        new Random(17).NextBytes(record);
        // Lone small syncs until the log has grown past its data by a reserved, unwritten block.
        while (new FileInfo(path).Length - log.Length < 4096 + 4096 || log.Length < 8192)
        {
            log.Append(record);
            log.Sync();
        }
        long ahead = new FileInfo(path).Length - 4096;
        Skip.If(BlockIsUnwritten(path, ahead) is not true, "this file system does not report unwritten extents through FIEMAP");
        var group = new byte[2240];
        new Random(18).NextBytes(group);
        log.Append(group);
        log.Sync();
        Assert.True(log.InitializedEnd > ahead);
        for (long at = (log.Length + 4095) & ~4095L; at < log.InitializedEnd; at += 4096)
            Assert.False(BlockIsUnwritten(path, at), $"block at {at} is still unwritten after the fsync (data ends at {log.Length})");
    }

    [SkippableFact]
    public void MappedLog_UnsyncedAppends_MapAChunkAheadOfTheData_FrequentSyncsStopIt()
    {
        using var dir = new TempDir("realfs");
        string path = dir.Sub("000019.log");
        const long page = 4096;
        var rnd = new Random(19);
        var data = new List<byte>();
        using (var log = MappedOrSkip(RealFileSystem.Instance.CreateLog(path, 8 << 20)))
        {
            void Append(int size) => AppendRandom(log, rnd, data, size);

            Append(150);
            Skip.IfNot(log.Populating, "the kernel cannot populate mappings (MADV_POPULATE_WRITE needs Linux 5.14)");
            // Unsynced records: the pages ahead are mapped a chunk at a time, never past the file.
            long mostAhead = 0;
            while (log.Length < 3 * RealMappedLogFile.PopulateChunk)
            {
                Append(100 + rnd.Next(100));
                Assert.True(log.PopulatedEnd >= log.Length, $"mapped to {log.PopulatedEnd}, data at {log.Length}");
                Assert.True(log.PopulatedEnd <= new FileInfo(path).Length, $"mapped to {log.PopulatedEnd} past the file's {new FileInfo(path).Length} bytes");
                mostAhead = Math.Max(mostAhead, log.PopulatedEnd - log.Length);
            }
            Assert.True(mostAhead >= RealMappedLogFile.PopulateChunk, $"never mapped a chunk ahead (at most {mostAhead} bytes)");

            // A sync after every record: once past what was mapped, nothing more is mapped ahead.
            long synced = log.Length;
            while (log.Length < synced + 2 * RealMappedLogFile.PopulateChunk)
            {
                Append(100 + rnd.Next(100));
                log.Sync();
            }
            Assert.True(log.PopulatedEnd <= ((log.Length + page - 1) & ~(page - 1)), $"mapped to {log.PopulatedEnd} ahead of synced data at {log.Length}");

            // The pages mapped ahead read as unwritten log space: zeros, the data before them intact.
            using var reader = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var contents = new byte[new FileInfo(path).Length];
            Assert.Equal(contents.Length, RandomAccess.Read(reader, contents, 0));
            Assert.Equal(data.ToArray(), contents[..data.Count]);
            Assert.All(contents[data.Count..], b => Assert.Equal(0, b));
        }
        Assert.Equal(data.ToArray(), File.ReadAllBytes(path));
    }

    /// <summary>Appends <paramref name="size"/> random bytes to <paramref name="log"/> and to <paramref name="data"/>, its expected contents.</summary>
    private static void AppendRandom(IWritableFile log, Random rnd, List<byte> data, int size)
    {
        var record = new byte[size];
        rnd.NextBytes(record);
        log.Append(record);
        data.AddRange(record);
    }

    /// <summary>Whether FIEMAP reports the block at <paramref name="offset"/> as an unwritten extent; null when it cannot tell.</summary>
    private static bool? BlockIsUnwritten(string path, long offset)
    {
        const uint FsIocFiemap = 0xC020660B;
        const uint ExtentUnwritten = 0x800;
        // struct fiemap (32 bytes) followed by one struct fiemap_extent (56 bytes).
        var request = new byte[32 + 56];
        BitConverter.TryWriteBytes(request.AsSpan(0), offset);
        BitConverter.TryWriteBytes(request.AsSpan(8), 1L);
        BitConverter.TryWriteBytes(request.AsSpan(24), 1u);
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (Ioctl((int)handle.DangerousGetHandle(), FsIocFiemap, request) != 0) return null;
        if (BitConverter.ToUInt32(request, 20) == 0) return null;
        return (BitConverter.ToUInt32(request, 32 + 40) & ExtentUnwritten) != 0;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static extern int Ioctl(int fd, ulong request, byte[] argument);
}
