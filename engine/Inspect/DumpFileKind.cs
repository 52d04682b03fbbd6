namespace LatticeKV.Inspect;

/// <summary>Which format a dumped file has.</summary>
[System.Diagnostics.CodeAnalysis.Experimental(Experimental.FileDumpDiagnostic)]
public enum DumpFileKind
{
    /// <summary>A sorted table (<c>NNNNNN.sst</c>).</summary>
    Table,
    /// <summary>A write-ahead log (<c>NNNNNN.log</c>).</summary>
    Log,
    /// <summary>A MANIFEST (<c>MANIFEST-NNNNNN</c>).</summary>
    Manifest,
}
