namespace LatticeKV.Inspect;

/// <summary>Kinds of damage <see cref="DatabaseVerifier"/> finds (each has its own <c>lkv verify</c> exit code).</summary>
public enum VerifyProblemKind
{
    /// <summary>CURRENT or the MANIFEST is missing, damaged or inconsistent: the database cannot be opened.</summary>
    ManifestDamaged,
    /// <summary>A table the MANIFEST lists fails a checksum or disagrees with the MANIFEST.</summary>
    TableDamaged,
    /// <summary>A table the MANIFEST lists is missing.</summary>
    TableMissing,
    /// <summary>A write-ahead log still needed for recovery is damaged before its end or missing.</summary>
    LogDamaged,
    /// <summary>A blob file (FORMAT.md §21) fails a checksum or is cut short: the values it holds cannot be read.</summary>
    BlobDamaged,
}
