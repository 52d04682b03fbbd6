using System.Buffers;

namespace LatticeKV.Compaction;

/// <summary>Runs a merge operator, turning whatever it throws into a failed result.</summary>
internal static class MergeRunner
{
    /// <summary>
    /// Full merge of <paramref name="operands"/> into <paramref name="output"/> (cleared first).
    /// False with the operator's exception when it could not merge them.
    /// </summary>
    public static bool TryFullMerge(IMergeOperator op, ReadOnlySpan<byte> key, ReadOnlySpan<byte> existing, bool hasExisting, MergeOperands operands,
        ArrayBufferWriter<byte> output, out Exception? error)
    {
        output.ResetWrittenCount();
        try
        {
            op.FullMerge(key, existing, hasExisting, operands, output);
            error = null;
            return true;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            error = ex;
            return false;
        }
    }

    /// <summary>Partial merge of two operands into <paramref name="output"/> (cleared first); false when the operator declines or fails.</summary>
    public static bool TryPartialMerge(IMergeOperator op, ReadOnlySpan<byte> key, ReadOnlySpan<byte> older, ReadOnlySpan<byte> newer, ArrayBufferWriter<byte> output)
    {
        output.ResetWrittenCount();
        try
        {
            return op.TryPartialMerge(key, older, newer, output);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return false;
        }
    }
}
