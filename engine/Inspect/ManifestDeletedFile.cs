namespace LatticeKV.Inspect;

/// <summary>A table an edit removes from a level.</summary>
/// <param name="Level">Level.</param>
/// <param name="Number">File number.</param>
[System.Diagnostics.CodeAnalysis.Experimental(Experimental.FileDumpDiagnostic)]
public readonly record struct ManifestDeletedFile(int Level, long Number);
