using LatticeKV.Crypto;
using LatticeKV.Db;
using LatticeKV.Io;
using LatticeKV.Tests.Crypto;
using LatticeKV.Tests.Support;
using LatticeKV.Wal;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Db;

/// <summary>
/// The write-ahead logs' bookkeeping: closed logs synced once, and a failed sync never forgotten;
/// sealed records written straight into a mapped log.
/// </summary>
public class LogFilesTests
{
    [Fact]
    public void SyncClosed_AfterAFailedSync_KeepsFailing()
    {
        // The failed sync took the closed logs off the unsynced list: a later sync that found the
        // list empty and succeeded would let a synced write (or a flush) go on as though they were durable.
        var disk = new MemFileSystem();
        disk.CreateDirectory(DbPath);
        var faults = new FaultInjectionFileSystem(disk, seed: 5);
        var mutex = new object();
        var logs = new LogFiles(faults, DbPath, 1 << 20, mutex);
        lock (mutex) logs.Roll(10);
        logs.Append([], B("batch in log 10"));
        lock (mutex) logs.Roll(11);
        faults.Add(new FaultRule(FaultKind.FailSync, DbFileKind.Log, times: 1));
        Assert.Throws<LatticeIOException>(logs.SyncClosed);
        var again = Assert.Throws<LatticeIOException>(logs.SyncClosed);
        Assert.Contains("earlier fsync", again.Message, StringComparison.Ordinal);
        Assert.Throws<LatticeIOException>(logs.SyncAll);
        Assert.NotNull(logs.Close(sync: true));
    }

    [Fact]
    public void DropColumnFamily_WhileWritersWriteToIt_NeitherCorruptsTheLogNorTheMemtables()
    {
        // Dropping releases the family's memtables, whose arenas are reused at once: a write group
        // still inserting into them would read recycled chunks, fail after being logged, and leave
        // its sequence numbers to be logged twice.
        var disk = new MemFileSystem();
        var options = MemOptions(disk, o => o.WriteBufferSize = 64 * 1024);
        using (var db = LatticeDb.Open(DbPath, options))
        {
            for (int round = 0; round < 15; round++)
            {
                var cf = db.CreateColumnFamily($"t{round}");
                using var started = new ManualResetEventSlim();
                using var threads = new TestThreads();
                int written = 0;
                threads.Start("writer", () =>
                {
                    var value = new byte[200];
                    try
                    {
                        for (int i = 0; !threads.Stopping.IsCancellationRequested; i++)
                        {
                            db.Put(cf, B($"k{i:D6}"), value);
                            db.Put(B($"default-{round}-{i:D6}"), value);
                            if (Interlocked.Increment(ref written) == 200) started.Set();
                        }
                    }
                    catch (ColumnFamilyNotFoundException) { }
                    finally { started.Set(); }
                });
                started.Wait();
                db.DropColumnFamily(cf);
                threads.JoinAndRethrow();
                db.Put(B($"after-{round}"), B("1"));
            }
        }
        using var reopened = LatticeDb.Open(DbPath, options);
        for (int round = 0; round < 15; round++) Assert.Equal("1", S(reopened.Get(B($"after-{round}"))));
    }

    [Fact]
    public void Append_EncryptedDatabaseOnARealDisk_SealsIntoTheMappedLogAndEveryRecordOpens()
    {
        // Records sealed straight into the mapping (the usual case) and, across a block boundary
        // or too large for one block, through the scratch buffer: one log, read back in order.
        using var dir = new TempDir();
        var fs = RealFileSystem.Instance;
        using var keys = NewRegistry(fs, dir);
        var mutex = new object();
        var logs = new LogFiles(fs, dir.Path, 1 << 20, mutex) { Keys = keys };
        lock (mutex) logs.Roll(7);
        var sentinels = new List<byte[]>();
        var written = new List<byte[]>();
        for (int i = 0; i < 400; i++)
        {
            var sentinel = EncryptionSupport.Sentinel();
            sentinels.Add(sentinel);
            // Mostly batch-sized records; every 50th larger than a block, so it is fragmented.
            var body = new byte[i % 50 == 49 ? 40_000 : 100 + i % 37];
            sentinel.CopyTo(body, body.Length - sentinel.Length);
            // A timed batch is logged without a separate header: sealed from the batch itself.
            byte[] header = i % 3 == 0 ? [] : [(byte)i, 0x5A];
            logs.Append(header, body);
            written.Add([.. header, .. body]);
        }
        Assert.Null(logs.Close(sync: true));

        string path = FileNames.Log(dir.Path, 7);
        Assert.Equal(written, ReadSealed(fs, keys, path, out var issues));
        Assert.Empty(issues);
        Assert.Equal(0, EncryptionSupport.CountFound(dir.Path, sentinels));
    }

    [SkippableFact]
    public void RecordSpace_MappedLogAndInMemoryLog_OnlyTheMappedOneExposesItsMemory()
    {
        using var dir = new TempDir();
        using (var mapped = new LogWriter(RealFileSystem.Instance.CreateLog(dir.Sub("000001.log"), 1 << 20)))
        {
            Skip.IfNot(mapped.File is RealMappedLogFile, "blocks cannot be reserved in the temporary directory's file system, so logs are not mapped there");
            mapped.File.EnsureRoom(LogWriter.MaxEncodedSize(200));
            Assert.Equal(200, mapped.RecordSpace(200).Length);
            // Larger than what is left of the block: no space, the caller fragments it instead.
            Assert.True(mapped.RecordSpace(LogFormat.BlockSize).IsEmpty);
        }
        var memory = new MemFileSystem();
        memory.CreateDirectory(DbPath);
        using var inMemory = new LogWriter(memory.CreateLog(DbPath + "/000001.log", 1 << 20));
        Assert.True(inMemory.RecordSpace(200).IsEmpty);
    }

    [SkippableFact]
    public void RecordSpace_ProcessKilledAfterTheSealBeforeTheCommit_RecordReadsAsUnwrittenAndHoldsNoPlaintext()
    {
        Skip.IfNot(IntrinsicAesGcm.IsSupported, "without AES-NI and PCLMULQDQ log records are sealed through the scratch buffer, never into the mapping");
        // What a kill -9 leaves between sealing into the mapping and storing the header: the
        // page cache holds the record's ciphertext and a zero header. The earlier records replay,
        // the unfinished one reads as the log's unwritten tail (not damage), and nothing of its
        // plaintext is in the file.
        using var dir = new TempDir();
        var fs = RealFileSystem.Instance;
        using var keys = NewRegistry(fs, dir);
        var key = keys.Active(KeyPurpose.Metadata, 0)!;
        string path = FileNames.Log(dir.Path, 9);
        string killed = dir.Sub("killed.log");
        var sentinels = new List<byte[]>();
        var written = new List<byte[]>();
        using (var cipher = new RecordCipher(key, keys.DatabaseId, FileKeyKind.Log, 9))
        using (var log = new LogWriter(fs.CreateLog(path, 1 << 20)))
        {
            Skip.IfNot(log.File is RealMappedLogFile, "blocks cannot be reserved in the temporary directory's file system, so logs are not mapped there");
            Assert.True(cipher.OutputIsCiphertextOnly);
            // As LogFiles writes a sealed log: the cipher header, then compact records sealed in place.
            var logHeader = new byte[RecordCipher.LogHeaderSize];
            cipher.WriteLogHeader(logHeader);
            log.File.EnsureRoom(LogWriter.MaxEncodedSize(logHeader.Length));
            log.AddRecord(logHeader);
            for (int i = 0; i < 4; i++)
            {
                var plaintext = new byte[120];
                var sentinel = EncryptionSupport.Sentinel();
                sentinel.CopyTo(plaintext, 50);
                sentinels.Add(sentinel);
                int length = plaintext.Length + RecordCipher.CompactOverhead;
                log.File.EnsureRoom(LogWriter.MaxEncodedSize(length));
                var space = log.RecordSpace(length);
                Assert.Equal(length, space.Length);
                cipher.SealCompact(plaintext, space);
                if (i == 3) break; // killed here
                log.CommitInPlace(space);
                written.Add(plaintext);
            }
            // The page cache as the kill leaves it (the mapping's stores are the file's pages).
            File.Copy(path, killed);
        }
        Assert.Equal(written, ReadSealed(fs, keys, killed, out var issues, number: 9));
        var tail = Assert.Single(issues);
        Assert.True(tail.IsTruncatedTail, tail.Reason);
        Assert.False(tail.IntactRecordFollows, tail.Reason);
        Assert.Equal(0, EncryptionSupport.CountFound(dir.Path, sentinels));
    }

    /// <summary>A key registry in <paramref name="dir"/> sealing from file 1, with one metadata key (shared with the compact sealed log tests).</summary>
    internal static KeyRegistry NewRegistry(IFileSystem fs, TempDir dir)
    {
        var keys = KeyRegistry.Create(new LogFramedRecords(fs), dir.Path, new RawKeySource(EncryptionSupport.NewKey()), sealedFrom: 1, nowMs: 1000);
        keys.CreateKey(KeyPurpose.Metadata, 0, [], 1000);
        return keys;
    }

    /// <summary>Every record of the sealed log at <paramref name="path"/>, opened; the reader's issues.</summary>
    private static List<byte[]> ReadSealed(IFileSystem fs, KeyRegistry keys, string path, out IReadOnlyList<LogIssue> issues, long number = 7)
    {
        using var file = fs.OpenRead(path);
        var reader = new LogReader(file);
        using var opener = SealedRecordOpener.For(keys, FileKeyKind.Log, number, path)!;
        var records = new List<byte[]>();
        while (reader.ReadRecord(out var record, out long offset))
            if (!opener.TakeLogHeader(record, offset)) records.Add(opener.Open(record, offset).ToArray());
        issues = reader.Issues;
        return records;
    }
}
