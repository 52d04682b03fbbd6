using LatticeKV.Db;

namespace LatticeKV;

/// <summary>The <see cref="MergeException"/>s of reads: they name the family, and the key unless the family is encrypted.</summary>
internal static class MergeFailure
{
    public static MergeException Failed(ColumnFamilyData cfd, ReadOnlySpan<byte> key, Exception cause)
    {
        // An encrypted family's operator may quote what it could not merge: keep its message out.
        string reason = cfd.Options.Encrypted ? cause.GetType().Name : cause.Message;
        return new MergeException($"Merge operator '{cfd.Policy.MergeOperator!.Name}' of column family '{cfd.Name}' failed on {Describe(cfd, key)}: {reason}",
            cfd.Name, cfd.Options.Encrypted ? null : cause);
    }

    public static MergeException NoOperator(ColumnFamilyData cfd, ReadOnlySpan<byte> key)
        => new($"Column family '{cfd.Name}' holds merge operands for {Describe(cfd, key)} but was opened without its merge operator"
            + (cfd.Options.StoredMergeOperator is { } name ? $" '{name}'" : "") + " (ColumnFamilyOptions.MergeOperator).", cfd.Name);

    /// <summary>Invalid operands are refused at write time, before anything is logged.</summary>
    public static InvalidArgumentException Refused(ColumnFamilyData cfd, string why)
        => new($"Merge into column family '{cfd.Name}' refused: {why}", "operand");

    private static string Describe(ColumnFamilyData cfd, ReadOnlySpan<byte> key) => KeyText.Describe(key, cfd.Options.Encrypted);
}
