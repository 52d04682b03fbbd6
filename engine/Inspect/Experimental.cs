namespace LatticeKV.Inspect;

/// <summary>
/// Diagnostic ids of the experimental parts of the public API. Code that uses them must opt in
/// (for example <c>&lt;NoWarn&gt;LKVEXP001&lt;/NoWarn&gt;</c>) and accept that they may change in any release.
/// </summary>
public static class Experimental
{
    /// <summary>
    /// <see cref="FileDumper"/> and its entry types: they mirror the on-disk records (MANIFEST
    /// edits included) field by field, so they change whenever the file format does.
    /// </summary>
    public const string FileDumpDiagnostic = "LKVEXP001";
}
