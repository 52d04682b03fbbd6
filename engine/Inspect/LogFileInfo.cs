namespace LatticeKV.Inspect;

/// <summary>A write-ahead log file.</summary>
public sealed class LogFileInfo
{
    /// <summary>File number.</summary>
    public long Number { get; init; }
    /// <summary>File name.</summary>
    public required string FileName { get; init; }
    /// <summary>Size in bytes.</summary>
    public long Size { get; init; }
    /// <summary>True when its records are sealed (every log of an encrypted database inspected without the key counts as sealed).</summary>
    public bool Sealed { get; init; }
}
