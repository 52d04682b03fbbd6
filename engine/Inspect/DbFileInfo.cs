namespace LatticeKV.Inspect;

/// <summary>One file of a database directory, as <see cref="DatabaseInspector"/> lists it (with or without the key).</summary>
public sealed class DbFileInfo
{
    /// <summary>File name.</summary>
    public required string FileName { get; init; }
    /// <summary>What the file is: table, log, manifest, current, options, key-registry, lock, temp or other.</summary>
    public required string Kind { get; init; }
    /// <summary>Size in bytes.</summary>
    public long Size { get; init; }
    /// <summary>
    /// True when the file's contents are sealed: a table sealed with <see cref="KeyId"/>, a log or
    /// MANIFEST of an encrypted database (inspected without the key, every one is taken as sealed,
    /// since which ones are is itself recorded under the key), the key registry.
    /// </summary>
    public bool Sealed { get; init; }
    /// <summary>The key a sealed table names in its footer (0 for other files).</summary>
    public uint KeyId { get; init; }
    /// <summary>The generation of <see cref="KeyId"/> (0 when unknown: inspected without the key).</summary>
    public uint KeyGeneration { get; init; }
}
