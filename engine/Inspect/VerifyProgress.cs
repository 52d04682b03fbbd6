namespace LatticeKV.Inspect;

/// <summary>Where a verification is, for progress displays.</summary>
/// <param name="File">The file being read.</param>
/// <param name="BytesDone">Bytes verified so far.</param>
/// <param name="BytesTotal">Bytes to verify in all.</param>
public readonly record struct VerifyProgress(string File, long BytesDone, long BytesTotal);
