namespace LatticeKV;

/// <summary>An index was queried before its build finished (or after it failed: <see cref="BuildFailed"/>).</summary>
public sealed class IndexNotReadyException(string indexName, bool buildFailed)
    : LatticeException(buildFailed
        ? $"Index '{indexName}' failed to build (existing data breaks its unique constraint); drop it."
        : $"Index '{indexName}' is still building: it answers queries once its background build is done (IndexHandle.WaitUntilReady).")
{
    /// <summary>The index.</summary>
    public string IndexName { get; } = indexName;

    /// <summary>True when the build failed (the index will never be ready); false while it is building.</summary>
    public bool BuildFailed { get; } = buildFailed;
}
