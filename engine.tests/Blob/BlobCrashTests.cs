using LatticeKV.Io;
using LatticeKV.Tests.Db;
using LatticeKV.Tests.Support;
using Xunit.Abstractions;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Blob;

/// <summary>
/// Power loss while flushes and compactions write blob files and collect their garbage: the
/// crashed database keeps every acknowledged (synced) write, and no table refers to a blob record
/// that is not there (every value reads back, the whole database verifies).
/// </summary>
public sealed class BlobCrashTests(ITestOutputHelper output)
{
    [Fact]
    public void PowerLoss_DuringBlobFlushesAndCompactions_NoAcknowledgedWriteLostNoDanglingReference() => Run(encrypted: false);

    /// <summary>
    /// The same with an encrypted family (sealed blob files, FORMAT.md §21.7), whose key is rotated
    /// halfway: background re-encryption rewrites tables and blob files while the crashes land.
    /// </summary>
    [Fact]
    public void PowerLoss_DuringSealedBlobWritesAndReencryption_NoAcknowledgedWriteLostNoDanglingReference() => Run(encrypted: true);

    private void Run(bool encrypted)
    {
        int seed = TestSeed.Get(2201);
        output.WriteLine($"seed {seed} (LKV_SEED to replay)");
        var random = new Random(seed);
        var disk = new MemFileSystem();
        var options = MemOptions(disk, o =>
        {
            o.WriteBufferSize = 48 * 1024;
            o.Level0FileNumCompactionTrigger = 2;
            o.MaxBytesForLevelBase = 256 * 1024;
            o.TargetFileSizeBase = 64 * 1024;
            o.DefaultColumnFamilyOptions.BlobValueThreshold = 1000;
            o.DefaultColumnFamilyOptions.BlobGarbageCollectionRatio = 0.3;
            if (!encrypted) return;
            o.Encryption = EncryptionOptions.FromKey(Convert.FromHexString("5f1e8c3a9b7d2e4f6a8c0b1d3e5f7a9c2b4d6e8f0a1c3e5b7d9f1a3c5e7b9d0f"));
            o.DefaultColumnFamilyOptions.Encrypted = true;
        });
        var model = new Dictionary<string, byte[]>();
        int crashes = 0, blobFilesSeen = 0;
        using (var db = LatticeDb.Open(DbPath, options))
        {
            var sync = new WriteOptions { Sync = true };
            for (int op = 1; op <= 600; op++)
            {
                string key = $"k{random.Next(40):D2}";
                if (random.Next(6) == 0)
                {
                    db.Delete(B(key), sync);
                    model.Remove(key);
                }
                else
                {
                    var value = LargeValueCompressionTests.Text(random.Next(2) == 0 ? random.Next(10, 900) : random.Next(1000, 6000), random.Next());
                    db.Put(B(key), value, sync);
                    model[key] = value;
                }
                if (encrypted && op == 300) db.RotateEncryptionKey(db.DefaultColumnFamily);
                if (op % 25 != 0) continue;
                // Background flushes and compactions are running now: the crash lands wherever they are.
                var crashed = disk.CrashClone(powerLoss: true);
                blobFilesSeen += crashed.ListFiles(DbPath).Count(n => n.EndsWith(".blob", StringComparison.Ordinal));
                CheckCrashed(crashed, options, model, $"seed {seed}, op {op}");
                crashes++;
            }
        }
        Assert.Equal(24, crashes);
        Assert.True(blobFilesSeen > 0, "the workload wrote blob files before some crash");
    }

    [Fact]
    public async Task PowerLoss_AtEachStepOfIdleGarbageCollection_KeepsEveryValue()
    {
        var disk = new MemFileSystem();
        var options = MemOptions(disk, o =>
        {
            o.Level0FileNumCompactionTrigger = 2;
            o.DefaultColumnFamilyOptions.BlobValueThreshold = 1000;
            o.DefaultColumnFamilyOptions.BlobGarbageCollectionRatio = 1; // garbage counted, not collected
        });
        var model = new Dictionary<string, byte[]>();
        using (var db = LatticeDb.Open(DbPath, options))
        {
            for (int i = 0; i < 40; i++) db.Put(B($"k{i:D2}"), model[$"k{i:D2}"] = LargeValueCompressionTests.Text(5000, i));
            db.Flush();
            for (int i = 0; i < 30; i++) db.Put(B($"k{i:D2}"), model[$"k{i:D2}"] = LargeValueCompressionTests.Text(5000, 100 + i));
            db.Flush();
            await Task.Run(db.WaitForCompactions).WaitAsync(TimeSpan.FromMinutes(2));
        }
        string[] before = [.. disk.ListFiles(DbPath).Where(n => n.EndsWith(".blob", StringComparison.Ordinal))];

        // Reopened with a ratio the garbage passes: the idle collection runs, and the disk's state
        // is kept as a power loss would leave it before each file it creates, renames or deletes
        // and each directory fsync.
        var steps = new PowerLossBeforeEachStep(disk);
        var collecting = options.Clone();
        collecting.FileSystem = steps;
        collecting.DefaultColumnFamilyOptions.BlobGarbageCollectionRatio = 0.5;
        using (var db = LatticeDb.Open(DbPath, collecting))
        {
            await Task.Run(db.WaitForCompactions).WaitAsync(TimeSpan.FromMinutes(2));
            Assert.True(db.GetStatistics()["blob.gc.runs"] >= 1);
        }
        Assert.Contains(before, n => !disk.ListFiles(DbPath).Contains(n));

        var images = steps.Images;
        Assert.True(images.Count > 4, $"{images.Count} crash images");
        for (int i = 0; i < images.Count; i++) CheckCrashed(images[i], collecting, model, $"image {i} of {images.Count}");
    }

    /// <summary>Takes a power-loss image of <paramref name="disk"/> before each file creation, rename, deletion and directory fsync.</summary>
    private sealed class PowerLossBeforeEachStep(MemFileSystem disk) : ForwardingFileSystem(disk)
    {
        private readonly List<MemFileSystem> _images = [];

        public List<MemFileSystem> Images
        {
            get { lock (_images) return [.. _images]; }
        }

        private void Image()
        {
            var image = disk.CrashClone(powerLoss: true);
            lock (_images) _images.Add(image);
        }

        public override IWritableFile CreateWritable(string path)
        {
            Image();
            return base.CreateWritable(path);
        }

        public override void RenameFile(string from, string to)
        {
            Image();
            base.RenameFile(from, to);
        }

        public override void DeleteFile(string path)
        {
            Image();
            base.DeleteFile(path);
        }

        public override void SyncDirectory(string path)
        {
            Image();
            base.SyncDirectory(path);
        }
    }

    private static void CheckCrashed(MemFileSystem crashed, DbOptions options, Dictionary<string, byte[]> model, string context)
    {
        var o = options.Clone();
        o.FileSystem = crashed;
        using var db = LatticeDb.Open(DbPath, o);
        foreach (var (k, v) in model) Assert.True(v.AsSpan().SequenceEqual(db.Get(B(k))), $"{context}: {k} lost its acknowledged value");
        int n = 0;
        using (var it = db.NewIterator())
            for (it.SeekToFirst(); it.Valid; it.Next(), n++)
                Assert.True(model.TryGetValue(S(it.Key.ToArray())!, out var expected) && expected.AsSpan().SequenceEqual(it.Value), $"{context}: unexpected entry");
        Assert.Equal(model.Count, n);
        db.VerifyChecksums();
        // The recovered database keeps working: its own flush and compaction over the crashed blob files.
        db.CompactRange();
        foreach (var (k, v) in model) Assert.True(v.AsSpan().SequenceEqual(db.Get(B(k))), $"{context}: {k} lost after compaction");
    }
}
