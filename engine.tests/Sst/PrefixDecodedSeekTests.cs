using LatticeKV.Io;
using LatticeKV.Keys;
using LatticeKV.Sst;
using LatticeKV.Tests.Crypto;
using LatticeKV.Tests.Fuzz;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Sst;

/// <summary>
/// A seek in a compressed block decoded only up to its entry finds what a seek in the whole
/// decoded block finds; point reads through the cache's compressed tier see every version, deletion
/// and value, in plain and encrypted tables.
/// </summary>
public class PrefixDecodedSeekTests
{
    [Fact]
    public void TrySeek_RandomTargets_FindsWhatTheBlockIteratorFinds()
    {
        int seed = TestSeed.Get(811);
        var rnd = new Random(seed);
        var comparer = SpanComparer.For(new InternalKeyComparator(KeyComparator.Bytewise));
        for (int round = 0; round < 40; round++)
        {
            var builder = new BlockBuilder(rnd.Next(1, 20));
            var keys = new List<byte[]>();
            int count = rnd.Next(1, 120);
            int user = 0;
            for (int i = 0; i < count; i++)
            {
                if (rnd.Next(3) != 0) user += rnd.Next(1, 4);
                keys.Add(InternalKey.Create(B($"user{user:D6}"), (ulong)(1000 - i), ValueKind.Value));
            }
            // Internal order: user key ascending, sequence descending (sequences fall as i rises).
            foreach (var key in keys) builder.Add(key, B(new string((char)('a' + rnd.Next(26)), rnd.Next(0, 300))));
            var contents = builder.Finish().ToArray();
            var stored = new byte[Snappier.Snappy.GetMaxCompressedLength(contents.Length)];
            stored = stored[..Snappier.Snappy.Compress(contents, stored)];
            var block = new Block(contents, contents.Length);
            var it = new BlockIterator(comparer);
            it.Reset(block);
            for (int probe = 0; probe < 50; probe++)
            {
                var target = InternalKey.Create(B($"user{rnd.Next(0, user + 1):D6}"), (ulong)rnd.Next(0, 1100), ValueKind.Value);
                if (comparer.Compare(target, keys[^1]) > 0) continue; // past the block: the index never sends a lookup here
                it.Seek(target);
                Assert.True(it.Valid, $"seed={seed}");
                Assert.True(PrefixDecodedSeek.TrySeek(stored, target, comparer, out var key, out var value), $"seed={seed}: round {round} probe {probe} undecided");
                Assert.True(it.Key.SequenceEqual(key), $"seed={seed}: round {round} probe {probe} found another key");
                Assert.True(it.Value.SequenceEqual(value), $"seed={seed}: round {round} probe {probe} found another value");
            }
        }
    }

    [Fact]
    public void TrySeek_TargetPastEveryEntry_IsUndecided()
    {
        var comparer = SpanComparer.For(new InternalKeyComparator(KeyComparator.Bytewise));
        var builder = new BlockBuilder(16);
        for (int i = 0; i < 30; i++) builder.Add(InternalKey.Create(B($"k{i:D3}"), 5, ValueKind.Value), B("value"));
        var contents = builder.Finish().ToArray();
        var stored = new byte[Snappier.Snappy.GetMaxCompressedLength(contents.Length)];
        stored = stored[..Snappier.Snappy.Compress(contents, stored)];
        Assert.False(PrefixDecodedSeek.TrySeek(stored, InternalKey.Create(B("k999"), 5, ValueKind.Value), comparer, out _, out _));
    }

    [Fact]
    public void TrySeek_MutatedBlocks_ThrowOnlyCorruption()
    {
        var comparer = SpanComparer.For(new InternalKeyComparator(KeyComparator.Bytewise));
        var builder = new BlockBuilder(4);
        for (int i = 0; i < 40; i++) builder.Add(InternalKey.Create(B($"k{i:D3}"), 5, ValueKind.Value), B($"value {i} " + new string('v', i)));
        var contents = builder.Finish().ToArray();
        var stored = new byte[Snappier.Snappy.GetMaxCompressedLength(contents.Length)];
        stored = stored[..Snappier.Snappy.Compress(contents, stored)];
        var target = InternalKey.Create(B("k031"), 9, ValueKind.Value);
        Mutations.Sample(stored, input =>
        {
            try { PrefixDecodedSeek.TrySeek(input, target, comparer, out _, out _); }
            catch (CorruptionException) { }
        }, 20_000 * TestSeed.Scale);
    }

    [Fact]
    public void Get_CompressedTierHits_SeeNewestVersionsDeletionsAndValues()
    {
        var options = MemOptions(new MemFileSystem(), o =>
        {
            o.WriteBufferSize = 256 * 1024;
            o.BlockCacheCapacity = 1 << 20;
        });
        using var db = LatticeDb.Open(DbPath, options);
        CheckVersionsThroughCompressedTier(db, TestSeed.Get(812));
    }

    [Fact]
    public void Get_EncryptedTablesThroughCompressedTier_SeeNewestVersionsDeletionsAndValues()
    {
        using var dir = new TempDir();
        var options = EncryptionSupport.Options(EncryptionSupport.NewKey());
        options.WriteBufferSize = 256 * 1024;
        options.BlockCacheCapacity = 1 << 20;
        using var db = LatticeDb.Open(dir.Path, options);
        CheckVersionsThroughCompressedTier(db, TestSeed.Get(813));
    }

    [Fact]
    public void DecodeBuffers_ReturnedBufferIsReused_HeldBufferIsNot()
    {
        var first = DecodeBuffers.Rent(4096);
        var second = DecodeBuffers.Rent(4096); // the first is still held: a fresh one
        Assert.NotSame(first, second);
        second.Unpin();
        first.Unpin();
        var third = DecodeBuffers.Rent(4096);
        Assert.True(ReferenceEquals(third, first) || ReferenceEquals(third, second), "a released buffer should be rented again");
        Assert.Throws<InvalidOperationException>(() => third.ReviveDecodeBuffer()); // pinned: not released
        third.Unpin();
        var larger = DecodeBuffers.Rent(DecodeBuffers.MinSize * 4);
        Assert.True(larger.Data.Length >= DecodeBuffers.MinSize * 4);
        larger.Unpin();
    }

    [Fact]
    public void TryGet_ReadNestedInsideTheValueWriter_LeavesTheOuterValueWhole()
    {
        using var db = TieredDatabase();
        int seed = TestSeed.Get(814);
        var rnd = new Random(seed);
        long hits0 = db.GetStatistics()["block.cache.compressed.hits"];
        for (int n = 0; n < 5_000; n++)
        {
            int outer = rnd.Next(TieredKeys), inner = rnd.Next(TieredKeys);
            var writer = new NestedReadingWriter(db, B($"key{inner:D8}"));
            Assert.True(db.TryGet(B($"key{outer:D8}"), writer));
            Assert.Equal(TieredValue(inner), writer.Nested);
            Assert.Equal(TieredValue(outer), System.Text.Encoding.UTF8.GetString(writer.WrittenSpan));
        }
        Assert.True(db.GetStatistics()["block.cache.compressed.hits"] - hits0 > 1000, $"seed={seed}: the reads should go through the compressed tier");
    }

    [Fact]
    public void Iterators_InterleavedOnOneThroughTheCompressedTier_EachReadsItsOwnBlocks()
    {
        using var db = TieredDatabase();
        int seed = TestSeed.Get(815);
        var rnd = new Random(seed);
        var iterators = new LatticeIterator[8];
        var positions = new int[iterators.Length];
        try
        {
            for (int i = 0; i < iterators.Length; i++)
            {
                iterators[i] = db.NewIterator();
                positions[i] = rnd.Next(TieredKeys - 400);
                iterators[i].Seek(B($"key{positions[i]:D8}"));
            }
            // Each step of one iterator may load (decode) a block while the others hold theirs.
            for (int round = 0; round < 300; round++)
            {
                for (int i = 0; i < iterators.Length; i++)
                {
                    var it = iterators[i];
                    Assert.True(it.Valid, $"seed={seed}: iterator {i} ended at {positions[i]}");
                    Assert.Equal($"key{positions[i]:D8}", System.Text.Encoding.UTF8.GetString(it.Key));
                    Assert.Equal(TieredValue(positions[i]), System.Text.Encoding.UTF8.GetString(it.Value));
                    if (rnd.Next(20) == 0)
                    {
                        positions[i] = rnd.Next(TieredKeys - 400);
                        it.Seek(B($"key{positions[i]:D8}"));
                    }
                    else
                    {
                        it.Next();
                        positions[i]++;
                    }
                }
            }
        }
        finally
        {
            foreach (var it in iterators) it?.Dispose();
        }
    }

    private const int TieredKeys = 20_000;

    private static string TieredValue(int i) => $"{i:D8}:" + new string((char)('a' + i % 26), 80 + i % 37);

    /// <summary>A database of <see cref="TieredKeys"/> keys in tables that outgrow its 1 MiB cache, which is therefore tiered.</summary>
    private static LatticeDb TieredDatabase()
    {
        var options = MemOptions(new MemFileSystem(), o =>
        {
            o.WriteBufferSize = 256 * 1024;
            o.BlockCacheCapacity = 1 << 20;
        });
        var db = LatticeDb.Open(DbPath, options);
        try
        {
            for (int i = 0; i < TieredKeys; i++) db.Put(B($"key{i:D8}"), B(TieredValue(i)));
            db.Flush();
            Assert.True(db.GetStatistics()["block.cache.compressed.capacity"] > 0, "the tables outgrow the cache: it should be tiered");
            return db;
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    /// <summary>A buffer writer that reads another key from the database when asked for room: a read inside a read, on one thread.</summary>
    private sealed class NestedReadingWriter(LatticeDb db, byte[] innerKey) : System.Buffers.IBufferWriter<byte>
    {
        private readonly System.Buffers.ArrayBufferWriter<byte> _inner = new();

        public string? Nested { get; private set; }

        public ReadOnlySpan<byte> WrittenSpan => _inner.WrittenSpan;

        public void Advance(int count) => _inner.Advance(count);

        public Memory<byte> GetMemory(int sizeHint = 0) => _inner.GetMemory(sizeHint);

        public Span<byte> GetSpan(int sizeHint = 0)
        {
            var buffer = new byte[512];
            Assert.True(db.TryGet(innerKey, buffer, out int length));
            Nested = System.Text.Encoding.UTF8.GetString(buffer, 0, length);
            return _inner.GetSpan(sizeHint);
        }
    }

    /// <summary>Writes three generations of keys (overwrites and deletions, flushed between), then reads them back at random through a tiered cache.</summary>
    private static void CheckVersionsThroughCompressedTier(LatticeDb db, int seed)
    {
        const int keys = 20_000;
        var rnd = new Random(seed);
        var expected = new string?[keys];
        for (int generation = 0; generation < 3; generation++)
        {
            for (int i = 0; i < keys; i++)
            {
                int r = rnd.Next(10);
                if (generation > 0 && r == 0)
                {
                    db.Delete(B($"key{i:D8}"));
                    expected[i] = null;
                }
                else if (generation == 0 || r < 4)
                {
                    expected[i] = $"{i:D8}/{generation}:" + new string((char)('a' + i % 26), 60 + rnd.Next(60));
                    db.Put(B($"key{i:D8}"), B(expected[i]!));
                }
            }
            db.Flush();
        }
        Assert.True(db.GetStatistics()["block.cache.compressed.capacity"] > 0, "the tables outgrow the cache: it should be tiered");
        var buffer = new byte[256];
        for (int n = 0; n < 30_000; n++)
        {
            int k = rnd.Next(keys);
            bool found = db.TryGet(B($"key{k:D8}"), buffer, out int length);
            Assert.True(found == (expected[k] is not null), $"seed={seed}: key {k} found {found}");
            if (found) Assert.Equal(expected[k], System.Text.Encoding.UTF8.GetString(buffer, 0, length));
        }
        Assert.True(db.GetStatistics()["block.cache.compressed.hits"] > 1000, $"seed={seed}: {db.GetStatistics()["block.cache.compressed.hits"]} compressed hits");
    }
}
