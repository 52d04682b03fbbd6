using System.Text;
using CsCheck;
using LatticeKV.Sst;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Sst;

public class BlockTests
{
    private static Block Build(IEnumerable<string> keys, int restartInterval)
    {
        var b = new BlockBuilder(restartInterval);
        foreach (var k in keys) b.Add(Encoding.UTF8.GetBytes(k), Encoding.UTF8.GetBytes("v:" + k));
        var data = b.Finish().ToArray();
        return new Block(data, data.Length);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(16)]
    public void Iterator_SeekNextPrev_MatchSortedKeys(int restartInterval)
    {
        var keys = Enumerable.Range(0, 300).Select(i => $"key/{i * 3:D5}").ToList();
        var block = Build(keys, restartInterval);
        var it = new BlockIterator(SpanComparer.Bytewise);
        it.Reset(block);
        var seen = new List<string>();
        for (it.SeekToFirst(); it.Valid; it.Next()) seen.Add(Encoding.UTF8.GetString(it.Key));
        Assert.Equal(keys, seen);
        seen.Clear();
        for (it.SeekToLast(); it.Valid; it.Prev()) seen.Add(Encoding.UTF8.GetString(it.Key));
        seen.Reverse();
        Assert.Equal(keys, seen);
        for (int i = 0; i < 900; i += 7)
        {
            it.Seek(Encoding.UTF8.GetBytes($"key/{i:D5}"));
            int expected = (i + 2) / 3;
            if (expected >= keys.Count) Assert.False(it.Valid);
            else
            {
                Assert.Equal(keys[expected], Encoding.UTF8.GetString(it.Key));
                Assert.Equal("v:" + keys[expected], Encoding.UTF8.GetString(it.Value));
            }
        }
    }

    /// <summary>
    /// Seeks among internal keys whose user keys are prefixes of one another ("", "a", "ab",
    /// "aba", ...), in several versions each, with targets at, between and around them: from the
    /// restart a seek picks and from every earlier one, crossing restart entries (which store no
    /// shared prefix) on the way.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(16)]
    public void Seek_InternalKeysThatArePrefixesOfEachOther_LandsWhereASortedListSays(int restartInterval)
    {
        var cmp = new LatticeKV.Keys.InternalKeyComparator(LatticeKV.KeyComparator.Bytewise);
        var users = new List<byte[]> { Array.Empty<byte>() };
        for (int length = 1; length <= 4; length++)
            for (int n = 0; n < 1 << length; n++)
                users.Add(Enumerable.Range(0, length).Select(i => (byte)((n >> (length - 1 - i) & 1) == 0 ? 'a' : 'b')).ToArray());
        users.Add([(byte)'a', 0]);
        users.Add([(byte)'a', 0xFF, 0xFF]);
        var rnd = new Random(5);
        var entries = new List<byte[]>();
        foreach (var u in users)
            foreach (ulong seq in new ulong[] { 1, 7, 300, 0xFF_FFFF }.Where(_ => rnd.Next(3) != 0).DefaultIfEmpty(9UL))
                entries.Add(LatticeKV.Keys.InternalKey.Create(u, seq, LatticeKV.Keys.ValueKind.Value));
        entries.Sort((x, y) => cmp.Compare(x, y));
        var b = new BlockBuilder(restartInterval);
        foreach (var e in entries) b.Add(e, "v"u8);
        var data = b.Finish().ToArray();
        var block = new Block(data, data.Length);
        var it = new BlockIterator(SpanComparer.For(cmp));
        it.Reset(block);

        var probes = users.Concat([[(byte)'c'], [(byte)'a', (byte)'a', (byte)'a', (byte)'a', (byte)'a'], [(byte)'a', 1], [0]]);
        foreach (var u in probes)
            foreach (ulong seq in new ulong[] { 0, 1, 6, 7, 8, 299, 300, 301, LatticeKV.Keys.InternalKey.MaxSequence })
            {
                var target = LatticeKV.Keys.InternalKey.Create(u, seq, LatticeKV.Keys.ValueKinds.ForSeek);
                int expected = entries.FindIndex(e => cmp.Compare(e, target) >= 0);
                it.Seek(target);
                if (expected < 0) Assert.False(it.Valid);
                else Assert.Equal(Convert.ToHexString(entries[expected]), Convert.ToHexString(it.Key));
                for (int restart = 0; restart < block.NumRestarts && restart * restartInterval <= Math.Max(0, expected); restart++)
                {
                    it.SeekFromRestart(restart, target);
                    if (expected < 0) Assert.False(it.Valid);
                    else Assert.Equal(Convert.ToHexString(entries[expected]), Convert.ToHexString(it.Key));
                }
            }
    }

    /// <summary>
    /// A comparator ordering user keys exactly as bytewise does while not being
    /// <see cref="KeyComparator.Bytewise"/>, so blocks searched with it take the general path.
    /// </summary>
    private sealed class SlowBytewise : KeyComparator
    {
        public override string Name => "test.SlowBytewise";

        public override int Compare(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => a.SequenceCompareTo(b);
    }

    /// <summary>
    /// Bytewise seeks skip the comparison of keys the shared prefix already decides: random
    /// blocks of short keys over a two-letter alphabet (many prefixes of one another, several
    /// versions each), random targets, every restart interval: the seek and a scan from every
    /// restart up to it land where a sorted list and the general comparison path say.
    /// </summary>
    [Fact]
    public void Seek_BytewiseShortcut_AgreesWithSortedListAndGeneralPath()
    {
        var fast = new LatticeKV.Keys.InternalKeyComparator(LatticeKV.KeyComparator.Bytewise);
        var slow = new LatticeKV.Keys.InternalKeyComparator(new SlowBytewise());
        var userKey = Gen.Byte[(byte)'a', (byte)'c'].Array[0, 6];
        var entry = Gen.Select(userKey, Gen.ULong[1, 40]);
        var target = Gen.Select(userKey, Gen.ULong[0, 41], Gen.Bool);
        Gen.Select(entry.Array[1, 80], target.Array[1, 30], Gen.Int[1, 17], Gen.Int).Sample((entries, targets, interval, seed) =>
        {
            var keys = entries.Select(e => LatticeKV.Keys.InternalKey.Create(e.Item1, e.Item2, LatticeKV.Keys.ValueKind.Value))
                .DistinctBy(Convert.ToHexString).ToList();
            keys.Sort((x, y) => fast.Compare(x, y));
            var b = new BlockBuilder(interval);
            foreach (var k in keys) b.Add(k, "v"u8);
            var data = b.Finish().ToArray();
            var block = new Block(data, data.Length);
            var quick = new BlockIterator(SpanComparer.For(fast));
            var general = new BlockIterator(SpanComparer.For(slow));
            quick.Reset(block);
            general.Reset(block);
            // The same keys written by a writer that shares fewer bytes than it could.
            var loose = BuildSharingLess(keys, interval, new Random(seed));
            var looseQuick = new BlockIterator(SpanComparer.For(fast));
            looseQuick.Reset(loose);
            foreach (var (user, seq, exact) in targets)
            {
                // Targets of the entries' own kind can equal an entry; seek targets sort before every entry of their sequence.
                var t = LatticeKV.Keys.InternalKey.Create(user, seq, exact ? LatticeKV.Keys.ValueKind.Value : LatticeKV.Keys.ValueKinds.ForSeek);
                int expected = keys.FindIndex(k => fast.Compare(k, t) >= 0);
                string want = expected < 0 ? "end" : Convert.ToHexString(keys[expected]);
                general.Seek(t);
                Assert.Equal(want, general.Valid ? Convert.ToHexString(general.Key) : "end");
                quick.Seek(t);
                Assert.Equal(want, quick.Valid ? Convert.ToHexString(quick.Key) : "end");
                looseQuick.Seek(t);
                Assert.Equal(want, looseQuick.Valid ? Convert.ToHexString(looseQuick.Key) : "end");
                for (int restart = 0; restart < block.NumRestarts && restart * interval <= Math.Max(0, expected); restart++)
                {
                    quick.SeekFromRestart(restart, t);
                    Assert.Equal(want, quick.Valid ? Convert.ToHexString(quick.Key) : "end");
                }
            }
        }, iter: 2000);
    }

    /// <summary>
    /// A block of <paramref name="keys"/> (values "v") whose entries share a random number of
    /// bytes, up to the longest common prefix, with the key before: valid, as FORMAT.md asks
    /// only that the shared bytes be the previous key's, but unlike what <see cref="BlockBuilder"/> writes.
    /// </summary>
    private static Block BuildSharingLess(List<byte[]> keys, int interval, Random rnd)
    {
        var bytes = new List<byte>();
        var restarts = new List<int>();
        byte[] last = [];
        for (int i = 0; i < keys.Count; i++)
        {
            var key = keys[i];
            int shared = 0;
            if (i % interval == 0) restarts.Add(bytes.Count);
            else shared = rnd.Next(key.AsSpan().CommonPrefixLength(last) + 1);
            bytes.AddRange([(byte)shared, (byte)(key.Length - shared), 1]);
            bytes.AddRange(key[shared..]);
            bytes.Add((byte)'v');
            last = key;
        }
        Span<byte> word = stackalloc byte[4];
        foreach (int r in restarts.Append(restarts.Count))
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(word, (uint)r);
            bytes.AddRange(word);
        }
        var data = bytes.ToArray();
        return new Block(data, data.Length);
    }

    [Fact]
    public void Block_RestartCountBeyondSize_ThrowsCorruption()
    {
        var block = Build(["a", "b"], 16).Data.ToArray();
        block[^4] = 200;
        Assert.Throws<CorruptionException>(() => new Block(block, block.Length));
    }

    /// <summary>
    /// An entry that shares more bytes than the key before it has, or whose key and value run
    /// past the entries, is malformed: scanning over it throws, in both directions.
    /// </summary>
    [Theory]
    [InlineData(0, 0x7F)] // shared: the previous key has 5 bytes
    [InlineData(1, 0x7F)] // non-shared: past the end of the entries
    [InlineData(2, 0x7F)] // value length: past the end of the entries
    public void Iterator_MalformedEntry_ThrowsCorruption(int field, byte value)
    {
        var data = Build(Enumerable.Range(0, 20).Select(i => $"k{i:D4}"), 8).Data.ToArray();
        var structural = StructuralBytes(data);
        int entry = 0, at = -1;
        for (int p = 0; p < data.Length && at < 0; p++)
            if (structural[p] && (p == 0 || !structural[p - 1]) && entry++ == 15) at = p; // the lengths of the last entry before a restart
        data[at + field] = value;
        var it = new BlockIterator(SpanComparer.Bytewise);
        it.Reset(new Block(data, data.Length));
        Assert.Throws<CorruptionException>(() => { for (it.SeekToFirst(); it.Valid; it.Next()) { } });
        Assert.Throws<CorruptionException>(() => { for (it.SeekToLast(); it.Valid; it.Prev()) { } });
    }

    /// <summary>
    /// Flips bits anywhere in a block. Damage to the structure (an entry's lengths, the restart
    /// array) throws <see cref="CorruptionException"/> or yields some entries, but every scan ends
    /// within the block's bytes; damage to key and value bytes only leaves every entry in place,
    /// found in both directions. No other exception, no endless scan.
    /// </summary>
    [Fact]
    public void Iterator_RandomlyDamagedBlock_ThrowsOnlyCorruptionAndAlwaysEnds()
    {
        var keys = Enumerable.Range(0, 100).Select(i => $"k{i:D4}").ToList();
        var original = Build(keys, 8).Data;
        bool[] structural = StructuralBytes(original);
        int seed = TestSeed.Get(11);
        var rnd = new Random(seed);
        int detectedAtOpen = 0, detectedByIterator = 0, structuralScanned = 0, contentOnly = 0;
        for (int trial = 0; trial < 2000; trial++)
        {
            string context = $"seed={seed} trial {trial}";
            var data = original.ToArray();
            bool structureHit = false;
            for (int f = 0; f < 1 + rnd.Next(4); f++)
            {
                int at = rnd.Next(data.Length);
                data[at] ^= (byte)(1 << rnd.Next(8));
                structureHit |= structural[at];
            }
            Block block;
            try { block = new Block(data, data.Length); }
            catch (CorruptionException)
            {
                Assert.True(structureHit, $"{context}: damage to keys and values only was reported by the block");
                detectedAtOpen++;
                continue;
            }
            try
            {
                var it = new BlockIterator(SpanComparer.Bytewise);
                it.Reset(block);
                // Each entry takes at least a byte, so a scan longer than the block never ends.
                int limit = data.Length;
                var forward = new List<string>();
                for (it.SeekToFirst(); it.Valid; it.Next())
                {
                    forward.Add(Convert.ToHexString(it.Key));
                    Assert.True(forward.Count <= limit, $"{context}: forward scan passed {limit} entries");
                }
                var backward = new List<string>();
                for (it.SeekToLast(); it.Valid; it.Prev())
                {
                    backward.Add(Convert.ToHexString(it.Key));
                    Assert.True(backward.Count <= limit, $"{context}: backward scan passed {limit} entries");
                }
                it.Seek("k0050"u8);
                if (structureHit)
                {
                    structuralScanned++;
                    continue;
                }
                contentOnly++;
                Assert.Equal(keys.Count, forward.Count);
                backward.Reverse();
                Assert.Equal(forward, backward);
            }
            catch (CorruptionException)
            {
                Assert.True(structureHit, $"{context}: damage to keys and values only was reported by the iterator");
                detectedByIterator++;
            }
        }
        // Each kind of outcome happened, so each assertion above was tried.
        Assert.True(detectedAtOpen > 0, "no damaged restart array was detected");
        Assert.True(detectedByIterator > 0, "no damaged entry was detected");
        Assert.True(structuralScanned > 0 && contentOnly > 0, $"structural damage scanned {structuralScanned}, content-only damage {contentOnly}");
    }

    /// <summary>Which bytes of a block are structure (entry lengths, restart array) rather than key or value bytes.</summary>
    private static bool[] StructuralBytes(byte[] block)
    {
        var structural = new bool[block.Length];
        int restarts = block.Length - 4 - 4 * (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(block.AsSpan(block.Length - 4));
        for (int i = restarts; i < block.Length; i++) structural[i] = true;
        for (int p = 0; p < restarts;)
        {
            // Every length in this block is below 128: one varint byte each.
            Assert.True(block[p] < 0x80 && block[p + 1] < 0x80 && block[p + 2] < 0x80);
            structural[p] = structural[p + 1] = structural[p + 2] = true;
            p += 3 + block[p + 1] + block[p + 2];
        }
        return structural;
    }
}
