using LatticeKV.Coding;
using LatticeKV.Indexing;

namespace LatticeKV;

/// <summary>
/// Turns a primary entry (key and value) into the index keys it is found under: none, one, or
/// several (the elements of a JSON array, the words of a text). Made by <see cref="IndexExtractors"/>.
/// Built-in extractors are stored with the index and rebuilt at open; a custom one
/// (<see cref="IndexExtractors.Custom"/>) is code and must be given again at every open
/// (<see cref="DbOptions.IndexExtractors"/>).
/// </summary>
public abstract class IndexExtractor
{
    private protected IndexExtractor() { }

    /// <summary>Adds the index keys of one primary entry to <paramref name="output"/>; deterministic and thread-safe.</summary>
    internal abstract void Extract(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ExtractedKeys output);

    /// <summary>Writes the stored description (FORMAT.md, "Index definitions").</summary>
    internal abstract void Describe(ByteWriter w);

    /// <summary>
    /// Whether this entry yields <paramref name="indexKey"/> (what a query checks per entry);
    /// built-in extractors override it to compare in place instead of collecting every key.
    /// </summary>
    internal virtual bool Yields(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ReadOnlySpan<byte> indexKey, ExtractedKeys scratch)
    {
        scratch.Clear();
        Extract(key, value, scratch);
        return scratch.Contains(indexKey);
    }

    /// <summary>True for text extractors: entries carry term frequencies and the index keeps BM25 statistics.</summary>
    internal virtual bool IsText => false;

    /// <summary>
    /// True when the keys depend on the primary key alone (never the value): such an index (and a
    /// foreign key using it) can accept merges, whose value is known only at read time.
    /// </summary>
    internal virtual bool ReadsKeyOnly => false;

    /// <summary>The name a custom extractor is supplied under at open; null for built-in ones.</summary>
    internal virtual string? CustomName => null;

    /// <summary>A short description for listings (never data).</summary>
    public abstract override string ToString();
}
