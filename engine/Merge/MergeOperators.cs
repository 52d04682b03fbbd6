namespace LatticeKV;

/// <summary>The built-in merge operators (<see cref="ColumnFamilyOptions.MergeOperator"/>).</summary>
public static class MergeOperators
{
    /// <summary>
    /// Adds 8-byte little-endian signed integers ("lattice.Int64Add"). An absent value counts as
    /// 0. Operands of another length are refused when written. A sum outside the range of
    /// <see cref="long"/> is an error (<see cref="MergeException"/> when read), never a wrap; the
    /// exact sum of the value and all operands decides, whatever order they were combined in.
    /// </summary>
    public static IMergeOperator Int64Add { get; } = new Int64AddOperator();

    /// <summary>Keeps the bytewise largest of the value and the operands ("lattice.Max"): ordinal comparison, shorter prefix first.</summary>
    public static IMergeOperator Max { get; } = new MaxOperator();

    /// <summary>Appends each operand to the value ("lattice.StringAppend"), with nothing between them.</summary>
    public static IMergeOperator StringAppend { get; } = new StringAppendOperator([]);

    /// <summary>
    /// Appends each operand to the value with <paramref name="delimiter"/> between consecutive
    /// parts ("lattice.StringAppend:" and the delimiter's hex, so each delimiter is its own operator).
    /// </summary>
    public static IMergeOperator StringAppendWith(ReadOnlySpan<byte> delimiter) => new StringAppendOperator(delimiter.ToArray());

    /// <summary>
    /// The built-in operator stored under <paramref name="name"/> (its <see cref="IMergeOperator.Name"/>), or null for
    /// an application's own: a family created with a built-in operator opens with it even when the options give none.
    /// </summary>
    public static IMergeOperator? ByName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name == Int64Add.Name) return Int64Add;
        if (name == Max.Name) return Max;
        if (name == StringAppend.Name) return StringAppend;
        if (!name.StartsWith(StringAppendOperator.DelimitedPrefix, StringComparison.Ordinal)) return null;
        try { return StringAppendWith(Convert.FromHexString(name.AsSpan(StringAppendOperator.DelimitedPrefix.Length))); }
        catch (FormatException) { return null; }
    }
}
