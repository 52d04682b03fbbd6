namespace LatticeKV.Inspect;

/// <summary>One damaged file.</summary>
/// <param name="Kind">What kind of damage.</param>
/// <param name="FilePath">The file.</param>
/// <param name="Offset">Where in the file, or -1 when not tied to an offset.</param>
/// <param name="Message">What is wrong.</param>
public sealed record VerifyProblem(VerifyProblemKind Kind, string FilePath, long Offset, string Message);
