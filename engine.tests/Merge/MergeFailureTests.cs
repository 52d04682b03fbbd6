using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Merge.MergeSupport;

namespace LatticeKV.Tests.Merge;

/// <summary>An operator that fails: reads throw, flushes and compactions keep every operand.</summary>
public class MergeFailureTests
{
    private static readonly byte[] K = TestDb.B("balance");

    [Fact]
    public void Int64AddOverflow_ThrowsAtReadAndSurvivesCompactionWithOperandsIntact()
    {
        using var dir = new TempDir("merge");
        using (var db = LatticeDb.Open(dir.Path, Options(dir.Path, MergeOperators.Int64Add)))
        {
            db.Put(K, I64(long.MaxValue - 1));
            db.Flush();
            // The total overflows, and so would any two operands combined: nothing can be merged.
            db.Merge(K, I64(1));
            db.Merge(K, I64(long.MaxValue));
            db.Put(TestDb.B("other"), I64(9));
            var ex = Assert.Throws<MergeException>(() => db.Get(K));
            Assert.Contains("balance", ex.Message, StringComparison.Ordinal);
            Assert.Contains("lattice.Int64Add", ex.Message, StringComparison.Ordinal);
            Assert.IsType<OverflowException>(ex.InnerException);
            Assert.Throws<MergeException>(() => TestDb.Contents(db, db.DefaultColumnFamily));

            db.Flush();
            db.CompactRange(); // the background work does not fail
            db.WaitForCompactions();
            Assert.Throws<MergeException>(() => db.Get(K));
            Assert.Equal(9, AsI64(db.Get(TestDb.B("other"))));
            db.Merge(K, I64(1)); // the database still takes writes
        }
        // Reopened with an operator of the same name that does not check overflow: every operand
        // and the base value are still there, in order.
        var counting = new CountingOperator(MergeOperators.Int64Add.Name);
        using var db2 = LatticeDb.Open(dir.Path, Options(dir.Path, counting));
        Assert.Equal(unchecked(long.MaxValue - 1 + 1 + long.MaxValue + 1), AsI64(db2.Get(K)));
        Assert.Equal(3, counting.LastOperandCount);
        Assert.True(counting.LastHadExisting);
    }

    [Fact]
    public void FailingPartialMerge_IsIgnoredAndTheOperandsKept()
    {
        using var dir = new TempDir("merge");
        var op = new ThrowingPartialOperator();
        using var db = LatticeDb.Open(dir.Path, Options(dir.Path, op));
        using var snap = db.GetSnapshot(); // keeps the oldest stripe from being the bottom
        db.Merge(K, I64(1));
        db.Merge(K, I64(2));
        db.Flush();
        db.CompactRange();
        Assert.Equal(3, AsI64(db.Get(K)));
    }

    /// <summary>Int64Add whose partial merge always throws.</summary>
    private sealed class ThrowingPartialOperator : IMergeOperator
    {
        public string Name => "test.ThrowingPartial";

        public void FullMerge(ReadOnlySpan<byte> key, ReadOnlySpan<byte> existingValue, bool hasExistingValue, MergeOperands operands, System.Buffers.IBufferWriter<byte> result)
            => MergeOperators.Int64Add.FullMerge(key, existingValue, hasExistingValue, operands, result);

        public bool TryPartialMerge(ReadOnlySpan<byte> key, ReadOnlySpan<byte> older, ReadOnlySpan<byte> newer, System.Buffers.IBufferWriter<byte> result)
            => throw new InvalidOperationException("partial merge failed");
    }
}
