using System.Buffers;
using System.Text;

namespace LatticeKV.Tests.Merge;

/// <summary>The built-in operators, called directly.</summary>
public class MergeOperatorsTests
{
    private static byte[] Full(IMergeOperator op, byte[]? existing, params byte[][] operands)
    {
        var list = new LatticeKV.Compaction.MergeOperandList();
        try
        {
            foreach (var o in operands) list.Add(o, 0);
            var output = new ArrayBufferWriter<byte>();
            op.FullMerge("k"u8, existing, existing is not null, list.View(newestFirst: false), output);
            return output.WrittenSpan.ToArray();
        }
        finally
        {
            list.Dispose();
        }
    }

    private static byte[] U(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void Int64Add_SumsOperandsOverTheExistingValue()
    {
        Assert.Equal(42, MergeSupport.AsI64(Full(MergeOperators.Int64Add, MergeSupport.I64(40), MergeSupport.I64(5), MergeSupport.I64(-3))));
        Assert.Equal(7, MergeSupport.AsI64(Full(MergeOperators.Int64Add, null, MergeSupport.I64(7))));
    }

    [Fact]
    public void Int64Add_Overflow_Throws()
        => Assert.Throws<OverflowException>(() => Full(MergeOperators.Int64Add, MergeSupport.I64(long.MaxValue), MergeSupport.I64(1)));

    /// <summary>An intermediate sum out of range is no error when the total is in range: partial merges may regroup operands.</summary>
    [Fact]
    public void Int64Add_IntermediateOverflow_IsNotAnError()
        => Assert.Equal(long.MaxValue - 1, MergeSupport.AsI64(Full(MergeOperators.Int64Add, MergeSupport.I64(long.MaxValue), MergeSupport.I64(1), MergeSupport.I64(-2))));

    [Fact]
    public void Int64Add_MalformedOperand_IsInvalidAndThrowsWhenMerged()
    {
        Assert.False(MergeOperators.Int64Add.IsValidOperand(new byte[7]));
        Assert.True(MergeOperators.Int64Add.IsValidOperand(new byte[8]));
        Assert.Throws<FormatException>(() => Full(MergeOperators.Int64Add, new byte[3], MergeSupport.I64(1)));
    }

    [Fact]
    public void Int64Add_PartialMerge_DeclinesOnOverflow()
    {
        var output = new ArrayBufferWriter<byte>();
        Assert.True(MergeOperators.Int64Add.TryPartialMerge("k"u8, MergeSupport.I64(2), MergeSupport.I64(3), output));
        Assert.Equal(5, MergeSupport.AsI64(output.WrittenSpan.ToArray()));
        output.ResetWrittenCount();
        Assert.False(MergeOperators.Int64Add.TryPartialMerge("k"u8, MergeSupport.I64(long.MaxValue), MergeSupport.I64(1), output));
        Assert.False(MergeOperators.Int64Add.TryPartialMerge("k"u8, MergeSupport.I64(long.MinValue), MergeSupport.I64(-1), output));
    }

    [Fact]
    public void Max_KeepsTheBytewiseLargest()
    {
        Assert.Equal(U("pear"), Full(MergeOperators.Max, U("apple"), U("pear"), U("fig")));
        Assert.Equal(U("zz"), Full(MergeOperators.Max, U("zz"), U("a")));
        Assert.Equal(U("ab"), Full(MergeOperators.Max, null, U("a"), U("ab")));
    }

    [Fact]
    public void StringAppend_JoinsWithTheDelimiter()
    {
        Assert.Equal(U("abc"), Full(MergeOperators.StringAppend, U("a"), U("b"), U("c")));
        var comma = MergeOperators.StringAppendWith(","u8);
        Assert.Equal(U("a,b,c"), Full(comma, U("a"), U("b"), U("c")));
        Assert.Equal(U("b,c"), Full(comma, null, U("b"), U("c")));
        Assert.NotEqual(MergeOperators.StringAppend.Name, comma.Name);
        var output = new ArrayBufferWriter<byte>();
        Assert.True(comma.TryPartialMerge("k"u8, U("x"), U("y"), output));
        Assert.Equal(U("x,y"), output.WrittenSpan.ToArray());
    }
}
