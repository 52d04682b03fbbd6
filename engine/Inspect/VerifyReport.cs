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
}

/// <summary>One damaged file.</summary>
/// <param name="Kind">What kind of damage.</param>
/// <param name="FilePath">The file.</param>
/// <param name="Offset">Where in the file, or -1 when not tied to an offset.</param>
/// <param name="Message">What is wrong.</param>
public sealed record VerifyProblem(VerifyProblemKind Kind, string FilePath, long Offset, string Message);

/// <summary>Where a verification is, for progress displays.</summary>
/// <param name="File">The file being read.</param>
/// <param name="BytesDone">Bytes verified so far.</param>
/// <param name="BytesTotal">Bytes to verify in all.</param>
public readonly record struct VerifyProgress(string File, long BytesDone, long BytesTotal);

/// <summary>What <see cref="DatabaseVerifier.Verify(string, Action{VerifyProgress}?, KeyComparator?)"/> found.</summary>
public sealed class VerifyReport
{
    /// <summary>Every problem, one per damaged file or region.</summary>
    public required IReadOnlyList<VerifyProblem> Problems { get; init; }
    /// <summary>Observations that are not damage (unreferenced files left by an interrupted job, a torn log tail).</summary>
    public required IReadOnlyList<string> Notes { get; init; }
    /// <summary>Tables read completely.</summary>
    public int TablesChecked { get; init; }
    /// <summary>Write-ahead logs read.</summary>
    public int LogsChecked { get; init; }
    /// <summary>Entries read from tables and logs.</summary>
    public long EntriesChecked { get; init; }
    /// <summary>Bytes read.</summary>
    public long BytesChecked { get; init; }
    /// <summary>True when no problem was found.</summary>
    public bool IsHealthy => Problems.Count == 0;
}
