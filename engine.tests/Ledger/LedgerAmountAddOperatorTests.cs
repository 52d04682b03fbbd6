using System.Buffers;
using LatticeKV.Ledger;
using LatticeKV.Compaction;

namespace LatticeKV.Tests.Ledgers;

public class LedgerAmountAddOperatorTests
{
    [Fact]
    public void FullMerge_RunningSumLeavesRangeButTotalFits_IsExact()
    {
        var result = Merge(LedgerAmounts.Encode(Int128.MaxValue), LedgerAmounts.Encode(1), LedgerAmounts.Encode(-2));
        Assert.Equal(Int128.MaxValue - 1, LedgerAmounts.Decode(result));
    }

    [Fact]
    public void FullMerge_TotalOutOfRange_Throws()
        => Assert.Throws<OverflowException>(() => Merge(LedgerAmounts.Encode(Int128.MaxValue), LedgerAmounts.Encode(1)));

    [Fact]
    public void TryPartialMerge_Overflow_KeepsOperandsApart()
    {
        var output = new ArrayBufferWriter<byte>();
        Assert.False(LedgerAmountAddOperator.Instance.TryPartialMerge([], LedgerAmounts.Encode(Int128.MaxValue), LedgerAmounts.Encode(1), output));
        Assert.True(LedgerAmountAddOperator.Instance.TryPartialMerge([], LedgerAmounts.Encode(5), LedgerAmounts.Encode(-7), output));
        Assert.Equal(-2, LedgerAmounts.Decode(output.WrittenSpan));
    }

    [Fact]
    public void IsValidOperand_WrongWidth_False() => Assert.False(LedgerAmountAddOperator.Instance.IsValidOperand(new byte[8]));

    private static byte[] Merge(byte[] existing, params byte[][] operands)
    {
        using var list = new MergeOperandList();
        foreach (var operand in operands) list.Add(operand, 1);
        var output = new ArrayBufferWriter<byte>();
        LedgerAmountAddOperator.Instance.FullMerge([], existing, true, list.View(newestFirst: false), output);
        return output.WrittenSpan.ToArray();
    }
}
