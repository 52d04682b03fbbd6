using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Merge.MergeSupport;

namespace LatticeKV.Tests.Merge;

/// <summary>Reads of merged keys: point reads, iterators both ways, snapshots, through flush, compaction and reopen.</summary>
public class MergeReadTests
{
    private static readonly byte[] K = TestDb.B("acct");

    [Fact]
    public void Get_OperandsInMemtableTablesAndLevels_AreSummedEverywhere()
    {
        using var dir = new TempDir("merge");
        using (var db = LatticeDb.Open(dir.Path, Options(dir.Path, MergeOperators.Int64Add)))
        {
            db.Merge(K, I64(5));
            Assert.Equal(5, AsI64(db.Get(K)));
            db.Flush();
            db.Merge(K, I64(10));
            Assert.Equal(15, AsI64(db.Get(K)));
            db.CompactRange();
            db.Merge(K, I64(-1));
            Assert.Equal(14, AsI64(db.Get(K)));
            Span<byte> buffer = stackalloc byte[8];
            Assert.True(db.TryGet(K, buffer, out int length));
            Assert.Equal(8, length);
            Assert.True(db.ContainsKey(K));
        }
        using (var db = LatticeDb.Open(dir.Path, Options(dir.Path, MergeOperators.Int64Add)))
        {
            Assert.Equal(14, AsI64(db.Get(K)));
            db.CompactRange();
            Assert.Equal(14, AsI64(db.Get(K)));
        }
    }

    [Fact]
    public void Get_MergeOverPutAndDelete_StartsFromTheNewestBase()
    {
        using var dir = new TempDir("merge");
        using var db = LatticeDb.Open(dir.Path, Options(dir.Path, MergeOperators.Int64Add));
        db.Merge(K, I64(1));
        db.Put(K, I64(100));
        db.Merge(K, I64(2));
        Assert.Equal(102, AsI64(db.Get(K)));
        db.Flush();
        db.Delete(K);
        db.Merge(K, I64(3));
        Assert.Equal(3, AsI64(db.Get(K)));
        db.CompactRange();
        Assert.Equal(3, AsI64(db.Get(K)));
    }

    [Fact]
    public void RangeDeletion_CoveringOperands_HidesThemAndNotLaterOnes()
    {
        using var dir = new TempDir("merge");
        using var db = LatticeDb.Open(dir.Path, Options(dir.Path, MergeOperators.Int64Add));
        db.Put(K, I64(50));
        db.Merge(K, I64(1));
        db.Flush();
        db.DeleteRange(TestDb.B("a"), TestDb.B("b"));
        Assert.Null(db.Get(K));
        db.Merge(K, I64(7));
        Assert.Equal(7, AsI64(db.Get(K)));
        Assert.Equal([("acct", 7L)], Forward(db));
        db.CompactRange();
        Assert.Equal(7, AsI64(db.Get(K)));
    }

    [Fact]
    public void Iterator_BothDirections_ReturnsMergedValuesBetweenPlainKeys()
    {
        using var dir = new TempDir("merge");
        using var db = LatticeDb.Open(dir.Path, Options(dir.Path, MergeOperators.Int64Add));
        db.Put(TestDb.B("a"), I64(1));
        db.Merge(TestDb.B("b"), I64(2));
        db.Put(TestDb.B("c"), I64(3));
        db.Flush();
        db.Merge(TestDb.B("b"), I64(20));
        db.Merge(TestDb.B("c"), I64(30));
        db.Merge(TestDb.B("d"), I64(4));
        db.Delete(TestDb.B("a"));
        var expected = new[] { ("b", 22L), ("c", 33L), ("d", 4L) };
        Assert.Equal(expected, Forward(db));
        Assert.Equal(expected.Reverse(), Backward(db));

        // Turning around at a merged key in both directions.
        using var it = db.NewIterator();
        it.Seek(TestDb.B("b"));
        Assert.Equal(22, AsI64(it.Value.ToArray()));
        it.Next();
        Assert.Equal("c", TestDb.S(it.Key.ToArray()));
        it.Prev();
        Assert.Equal("b", TestDb.S(it.Key.ToArray()));
        Assert.Equal(22, AsI64(it.Value.ToArray()));
        it.Next();
        Assert.Equal(33, AsI64(it.Value.ToArray()));
        it.Next();
        it.Prev();
        Assert.Equal("c", TestDb.S(it.Key.ToArray()));
        it.Prev();
        Assert.Equal("b", TestDb.S(it.Key.ToArray()));
        it.Prev();
        Assert.False(it.Valid);
    }

    [Fact]
    public void Snapshot_BetweenOperands_SeesThePrefixThroughFlushAndCompaction()
    {
        using var dir = new TempDir("merge");
        using var db = LatticeDb.Open(dir.Path, Options(dir.Path, MergeOperators.Int64Add));
        db.Put(K, I64(100));
        db.Merge(K, I64(1));
        using var first = db.GetSnapshot();
        db.Merge(K, I64(10));
        using var second = db.GetSnapshot();
        db.Merge(K, I64(1000));
        long latest = 1111;
        void Check()
        {
            Assert.Equal(101, AsI64(db.Get(K, new ReadOptions { Snapshot = first })));
            Assert.Equal(111, AsI64(db.Get(K, new ReadOptions { Snapshot = second })));
            Assert.Equal(latest, AsI64(db.Get(K)));
            Assert.Equal([("acct", 101L)], Forward(db, first));
            Assert.Equal([("acct", 111L)], Backward(db, second));
        }
        Check();
        db.Flush();
        Check();
        db.CompactRange();
        Check();
        db.Merge(K, I64(10_000));
        latest = 11_111;
        db.CompactRange();
        Check();
    }

    [Fact]
    public void Compaction_AtTheBottom_TurnsOperandsIntoOneValue()
    {
        using var dir = new TempDir("merge");
        var counting = new CountingOperator(MergeOperators.StringAppend.Name);
        using var db = LatticeDb.Open(dir.Path, Options(dir.Path, counting));
        for (int i = 0; i < 5; i++)
        {
            db.Merge(K, I64(i));
            db.Flush();
        }
        db.CompactRange();
        Assert.Equal(10, AsI64(db.Get(K)));
        // The read found one value: no operand was left to merge.
        counting.LastOperandCount = -1;
        Assert.Equal(10, AsI64(db.Get(K)));
        Assert.Equal(-1, counting.LastOperandCount);
    }

    [Fact]
    public void Flush_WithPartialMerge_KeepsOneOperandPerStripe()
    {
        using var dir = new TempDir("merge");
        var comma = MergeOperators.StringAppendWith(","u8);
        using var db = LatticeDb.Open(dir.Path, Options(dir.Path, comma));
        db.Merge(K, TestDb.B("a"));
        db.Merge(K, TestDb.B("b"));
        using var snap = db.GetSnapshot();
        db.Merge(K, TestDb.B("c"));
        db.Merge(K, TestDb.B("d"));
        db.Flush();
        Assert.Equal("a,b", TestDb.S(db.Get(K, new ReadOptions { Snapshot = snap })));
        Assert.Equal("a,b,c,d", TestDb.S(db.Get(K)));
        var entries = TableEntries(dir.Path);
        Assert.Equal(["MERGE c,d", "MERGE a,b"], entries);
    }

    /// <summary>The README's example, as written there.</summary>
    [Fact]
    public void ReadmeExample_Transfers_GiveTheDocumentedBalance()
    {
        using var dir = new TempDir("merge");
        using var db = LatticeDb.Open(dir.Path, Options(dir.Path, null));
        var balances = db.CreateColumnFamily("balances", new ColumnFamilyOptions { MergeOperator = MergeOperators.Int64Add });
        var transfer = new WriteBatch();
        transfer.Merge(balances, "alice"u8, BitConverter.GetBytes(-30L));
        transfer.Merge(balances, "bob"u8, BitConverter.GetBytes(30L));
        db.Write(transfer);
        db.Merge(balances, "alice"u8, BitConverter.GetBytes(100L));
        Assert.Equal(70, BitConverter.ToInt64(db.Get(balances, "alice"u8)));
        Assert.Equal(30, BitConverter.ToInt64(db.Get(balances, "bob"u8)));
    }

    /// <summary>Point reads into a caller's buffer allocate nothing, merged keys included (operands go to pooled per-thread buffers).</summary>
    [Fact]
    public void TryGet_PlainAndMergedKeys_AllocatesNothingOnceWarm()
    {
        using var dir = new TempDir("merge");
        using var db = LatticeDb.Open(dir.Path, Options(dir.Path, MergeOperators.Int64Add));
        db.Put(TestDb.B("plain"), I64(1));
        db.Put(K, I64(10));
        db.Merge(K, I64(1));
        db.Flush();
        db.Merge(K, I64(2));
        db.Merge(K, I64(3));
        var plain = TestDb.B("plain");
        Span<byte> buffer = stackalloc byte[8];
        for (int i = 0; i < 10; i++)
        {
            db.TryGet(plain, buffer, out _);
            db.TryGet(K, buffer, out _);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 200; i++)
        {
            Assert.True(db.TryGet(plain, buffer, out _));
            Assert.True(db.TryGet(K, buffer, out _));
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(16, AsI64(buffer.ToArray()));
        Assert.Equal(0, allocated);
    }

    private static List<string> TableEntries(string path)
    {
        var list = new List<string>();
        foreach (var file in Directory.GetFiles(path, "*.sst"))
            Inspect.FileDumper.Dump(file, e => list.Add($"{e.Kind.ToString().ToUpperInvariant()} {TestDb.S(e.Value.ToArray())}"));
        return list;
    }

    internal static List<(string, long)> Forward(LatticeDb db, Snapshot? snapshot = null)
    {
        var list = new List<(string, long)>();
        using var it = db.NewIterator(new ReadOptions { Snapshot = snapshot });
        for (it.SeekToFirst(); it.Valid; it.Next()) list.Add((TestDb.S(it.Key.ToArray())!, AsI64(it.Value.ToArray())!.Value));
        return list;
    }

    internal static List<(string, long)> Backward(LatticeDb db, Snapshot? snapshot = null)
    {
        var list = new List<(string, long)>();
        using var it = db.NewIterator(new ReadOptions { Snapshot = snapshot });
        for (it.SeekToLast(); it.Valid; it.Prev()) list.Add((TestDb.S(it.Key.ToArray())!, AsI64(it.Value.ToArray())!.Value));
        return list;
    }
}
