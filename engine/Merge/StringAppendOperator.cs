using System.Buffers;

namespace LatticeKV;

/// <summary>See <see cref="MergeOperators.StringAppend"/> and <see cref="MergeOperators.StringAppendWith"/>.</summary>
internal sealed class StringAppendOperator(byte[] delimiter) : IMergeOperator
{
    /// <summary>The name of an operator with a delimiter: this, then the delimiter in hex.</summary>
    public const string DelimitedPrefix = "lattice.StringAppend:";

    public string Name { get; } = delimiter.Length == 0 ? "lattice.StringAppend" : DelimitedPrefix + Convert.ToHexString(delimiter);

    public void FullMerge(ReadOnlySpan<byte> key, ReadOnlySpan<byte> existingValue, bool hasExistingValue, MergeOperands operands, IBufferWriter<byte> result)
    {
        if (hasExistingValue) result.Write(existingValue);
        for (int i = 0; i < operands.Count; i++)
        {
            if (hasExistingValue || i > 0) result.Write(delimiter);
            result.Write(operands[i]);
        }
    }

    public bool TryPartialMerge(ReadOnlySpan<byte> key, ReadOnlySpan<byte> older, ReadOnlySpan<byte> newer, IBufferWriter<byte> result)
    {
        result.Write(older);
        result.Write(delimiter);
        result.Write(newer);
        return true;
    }
}
