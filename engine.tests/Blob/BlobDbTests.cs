using LatticeKV.Inspect;
using LatticeKV.Tests.Db;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Blob;

/// <summary>
/// Values of <see cref="ColumnFamilyOptions.BlobValueThreshold"/> bytes or more live in blob files
/// (FORMAT.md §21): every read path sees them, compaction moves references and counts garbage,
/// dead blob files are deleted, garbage-heavy ones rewritten, and copies include them.
/// </summary>
public sealed class BlobDbTests
{
    private const int Threshold = 1000;

    private static DbOptions Options(Action<ColumnFamilyOptions>? configure = null)
    {
        var o = new DbOptions();
        o.DefaultColumnFamilyOptions.BlobValueThreshold = Threshold;
        configure?.Invoke(o.DefaultColumnFamilyOptions);
        return o;
    }

    private static byte[] Value(int size, int seed) => LargeValueCompressionTests.Text(size, seed);

    private static string[] BlobFiles(string path) => [.. Directory.GetFiles(path, "*.blob").Select(System.IO.Path.GetFileName).Order()!];

    [Fact]
    public void PutFlush_ValuesAroundThreshold_EveryReadPathSeesValues()
    {
        int[] sizes = [10, Threshold - 1, Threshold, Threshold + 1, 70_000];
        using var dir = new TempDir("blob-roundtrip");
        using (var db = LatticeDb.Open(dir.Path, Options()))
        {
            for (int i = 0; i < sizes.Length; i++) db.Put(B($"k{i}"), Value(sizes[i], i));
            using var before = db.GetSnapshot();
            db.Flush();
            Assert.Single(BlobFiles(dir.Path));
            Assert.Equal("1", db.GetProperty("lattice.blob.num-files"));
            Assert.Equal(3, db.GetStatistics()["blob.values.written"]);
            for (int i = 0; i < sizes.Length; i++) db.Put(B($"k{i}"), Value(sizes[i], 100 + i));
            db.Flush();
            for (int i = 0; i < sizes.Length; i++)
            {
                Assert.Equal(Value(sizes[i], 100 + i), db.Get(B($"k{i}")));
                Assert.Equal(Value(sizes[i], i), db.Get(B($"k{i}"), new ReadOptions { Snapshot = before }));
            }
            using (var it = db.NewIterator(new ReadOptions { Snapshot = before }))
            {
                int n = sizes.Length;
                for (it.SeekToLast(); it.Valid; it.Prev()) { n--; Assert.Equal(Value(sizes[n], n), it.Value.ToArray()); }
                Assert.Equal(0, n);
            }
        }
        Assert.Equal(9u, DatabaseInspector.Inspect(dir.Path).FormatVersion);
        using (var db = LatticeDb.Open(dir.Path, Options()))
        {
            db.CompactRange();
            using var it = db.NewIterator();
            int n = 0;
            for (it.SeekToFirst(); it.Valid; it.Next(), n++)
            {
                Assert.Equal(B($"k{n}"), it.Key.ToArray());
                Assert.Equal(Value(sizes[n], 100 + n), it.Value.ToArray());
            }
            Assert.Equal(sizes.Length, n);
            var buffer = new byte[70_000];
            Assert.True(db.TryGet(B("k4"), buffer, out int length));
            Assert.Equal(70_000, length);
            db.VerifyChecksums();
        }
    }

    [Fact]
    public void Open_NoValueAtThreshold_FormatStaysBelowNine()
    {
        using var dir = new TempDir("blob-format");
        using (var db = LatticeDb.Open(dir.Path, Options()))
        {
            db.Put(B("small"), Value(Threshold - 1, 1));
            db.Flush();
            db.CompactRange();
        }
        Assert.Empty(BlobFiles(dir.Path));
        Assert.True(DatabaseInspector.Inspect(dir.Path).FormatVersion < 9);
        using (var db = LatticeDb.Open(dir.Path, Options()))
        {
            db.Put(B("big"), Value(Threshold, 2));
            db.Flush();
        }
        Assert.Equal(9u, DatabaseInspector.Inspect(dir.Path).FormatVersion);
    }

    [Fact]
    public void OverwriteAndDelete_Compaction_DeletesDeadBlobFiles()
    {
        using var dir = new TempDir("blob-gc-dead");
        using var db = LatticeDb.Open(dir.Path, Options());
        for (int i = 0; i < 20; i++) db.Put(B($"k{i:D2}"), Value(5000, i));
        db.Flush();
        var first = BlobFiles(dir.Path);
        Assert.Single(first);
        for (int i = 0; i < 20; i++)
        {
            if (i % 2 == 0) db.Delete(B($"k{i:D2}"));
            else db.Put(B($"k{i:D2}"), B("small"));
        }
        db.Flush();
        db.CompactRange();
        Assert.DoesNotContain(first[0], BlobFiles(dir.Path));
        Assert.Empty(BlobFiles(dir.Path));
        Assert.Equal("0", db.GetProperty("lattice.blob.num-files"));
        for (int i = 0; i < 20; i++) Assert.Equal(i % 2 == 0 ? null : B("small"), db.Get(B($"k{i:D2}")));
    }

    [Theory]
    [InlineData(0.9, false)]
    [InlineData(0.5, true)]
    public void PartlyGarbage_CompactRange_RewritesLiveBlobsOnlyAboveRatio(double ratio, bool rewritten)
    {
        using var dir = new TempDir("blob-gc-relocate");
        using var db = LatticeDb.Open(dir.Path, Options(o => o.BlobGarbageCollectionRatio = ratio));
        for (int i = 0; i < 10; i++) db.Put(B($"k{i}"), Value(5000, i));
        db.Flush();
        var first = BlobFiles(dir.Path).Single();
        for (int i = 0; i < 6; i++) db.Put(B($"k{i}"), B("small"));
        db.Flush();
        db.CompactRange();
        Assert.Single(BlobFiles(dir.Path));
        if (rewritten)
        {
            // Six of ten records dead reaches 0.5: the bottom-level pass copied the four live values.
            Assert.DoesNotContain(first, BlobFiles(dir.Path));
            Assert.Equal("0", db.GetProperty("lattice.blob.garbage-size"));
        }
        else
        {
            // Counted, not reclaimed: 0.6 stays below 0.9.
            Assert.Contains(first, BlobFiles(dir.Path));
            Assert.NotEqual("0", db.GetProperty("lattice.blob.garbage-size"));
        }
        for (int i = 0; i < 10; i++) Assert.Equal(i < 6 ? B("small") : Value(5000, i), db.Get(B($"k{i}")));
    }

    [Fact]
    public void MergeOverBlobValue_GetAndCompaction_SeeMergedValue()
    {
        using var dir = new TempDir("blob-merge");
        using var db = LatticeDb.Open(dir.Path, Options(o => o.MergeOperator = MergeOperators.StringAppend));
        var big = Value(3000, 7);
        db.Put(B("k"), big);
        db.Flush();
        db.Merge(B("k"), B("tail"));
        var expected = big.Concat(B("tail")).ToArray();
        Assert.Equal(expected, db.Get(B("k")));
        db.Flush();
        db.CompactRange();
        Assert.Equal(expected, db.Get(B("k")));
        using var it = db.NewIterator();
        it.SeekToFirst();
        Assert.Equal(expected, it.Value.ToArray());
    }

    [Fact]
    public void TtlAndFilter_OverBlobValues_HideAndRemoveThem()
    {
        using var dir = new TempDir("blob-filter");
        var filter = new PrefixDroppingFilter("drop");
        using var db = LatticeDb.Open(dir.Path, Options(o => o.CompactionFilter = filter));
        db.Put(B("drop1"), Value(2000, 1));
        db.Put(B("keep1"), Value(2000, 2));
        db.Flush();
        db.CompactRange();
        Assert.Null(db.Get(B("drop1")));
        Assert.Equal(Value(2000, 2), db.Get(B("keep1")));
        Assert.True(filter.Seen.Count > 0 && filter.Seen.All(v => v.Length == 2000), "the filter judged the value itself, not its reference");
    }

    private sealed class PrefixDroppingFilter(string prefix) : CompactionFilter
    {
        public List<byte[]> Seen { get; } = [];

        public override string Name => "test.PrefixDropping";

        public override bool ShouldRemove(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
        {
            lock (Seen) Seen.Add(value.ToArray());
            return key.StartsWith(B(prefix));
        }
    }

    /// <summary>A database whose only value (key "k") lives in its only blob file; returns that file's path.</summary>
    private static string WriteOneBlobValue(string path)
    {
        using (var db = LatticeDb.Open(path, Options()))
        {
            db.Put(B("k"), Value(4000, 3));
            db.Flush();
        }
        return System.IO.Path.Combine(path, BlobFiles(path).Single());
    }

    [Fact]
    public void CorruptBlobRecord_GetAndVerify_ThrowTypedCorruptionNamingFile()
    {
        using var dir = new TempDir("blob-corrupt");
        string blob = WriteOneBlobValue(dir.Path);
        var bytes = File.ReadAllBytes(blob);
        bytes[16 + 16 + 20] ^= 0x55; // inside the first record's stored bytes
        File.WriteAllBytes(blob, bytes);
        using var reopened = LatticeDb.Open(dir.Path, Options());
        var ex = Assert.Throws<CorruptionException>(() => reopened.Get(B("k")));
        Assert.Equal(blob, ex.FilePath);
        Assert.Equal(16, ex.Offset);
        var verify = Assert.Throws<CorruptionException>(() => reopened.VerifyChecksums());
        Assert.Equal(blob, verify.FilePath);
        using (var it = reopened.NewIterator())
            Assert.Throws<CorruptionException>(() => { it.SeekToFirst(); _ = it.Value.ToArray(); });
        reopened.Dispose();
        var report = DatabaseVerifier.Verify(dir.Path);
        var problem = Assert.Single(report.Problems);
        Assert.Equal(VerifyProblemKind.BlobDamaged, problem.Kind);
        Assert.Equal(blob, problem.FilePath);
        Assert.Equal(16, problem.Offset);
    }

    [Fact]
    public void MissingBlobFile_Open_ThrowsCorruptionNamingIt()
    {
        using var dir = new TempDir("blob-missing");
        string blob = WriteOneBlobValue(dir.Path);
        File.Delete(blob);
        var ex = Assert.Throws<CorruptionException>(() => LatticeDb.Open(dir.Path, Options()));
        Assert.Equal(blob, ex.FilePath);
    }

    [Fact]
    public void CheckpointAndBackup_WithBlobs_RestoreEveryValue()
    {
        using var dir = new TempDir("blob-copies");
        string db1 = dir.Sub("db"), checkpoint = dir.Sub("cp"), backups = dir.Sub("backups"), restored = dir.Sub("restored");
        using (var db = LatticeDb.Open(db1, Options()))
        {
            for (int i = 0; i < 5; i++) db.Put(B($"k{i}"), Value(3000, i));
            db.Flush();
            db.Put(B("late"), Value(3000, 99)); // still in the log
            db.CreateCheckpoint(checkpoint);
            using var engine = BackupEngine.Open(backups);
            engine.CreateBackup(db);
            engine.RestoreLatestBackup(restored);
        }
        foreach (var copy in new[] { checkpoint, restored })
        {
            Assert.NotEmpty(BlobFiles(copy));
            using var db = LatticeDb.Open(copy, Options());
            for (int i = 0; i < 5; i++) Assert.Equal(Value(3000, i), db.Get(B($"k{i}")));
            Assert.Equal(Value(3000, 99), db.Get(B("late")));
            db.VerifyChecksums();
        }
    }

    [Fact]
    public void Repair_LostManifest_KeepsBlobValuesAndCountsGarbage()
    {
        using var dir = new TempDir("blob-repair");
        using (var db = LatticeDb.Open(dir.Path, Options()))
        {
            for (int i = 0; i < 6; i++) db.Put(B($"k{i}"), Value(3000, i));
            db.Flush();
            db.Put(B("k0"), B("small"));
            db.Flush();
        }
        foreach (var m in Directory.GetFiles(dir.Path, "MANIFEST-*")) File.Delete(m);
        File.Delete(System.IO.Path.Combine(dir.Path, "CURRENT"));
        var report = LatticeDb.Repair(dir.Path, Options());
        Assert.Single(BlobFiles(dir.Path));
        using var repaired = LatticeDb.Open(dir.Path, Options());
        Assert.Equal(B("small"), repaired.Get(B("k0")));
        for (int i = 1; i < 6; i++) Assert.Equal(Value(3000, i), repaired.Get(B($"k{i}")));
        Assert.NotEqual("0", repaired.GetProperty("lattice.blob.garbage-size"));
        repaired.VerifyChecksums();
        Assert.NotNull(report);
    }
}
