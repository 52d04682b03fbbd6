using LatticeKV.Indexing;

namespace LatticeKV;

/// <summary>The built-in index extractors, and a custom one.</summary>
/// <example>
/// <code>
/// var byAccount = db.CreateIndex(transactions, new IndexDefinition
/// {
///     Name = "by-account",
///     Extractor = IndexExtractors.Composite(IndexExtractors.JsonField("$.account"), IndexExtractors.JsonField("$.height")),
/// });
/// </code>
/// </example>
public static class IndexExtractors
{
    /// <summary>
    /// The value at a dotted JSON path of the value (<c>$.account</c> or <c>payer.id</c>):
    /// strings as UTF-8, integers as <see cref="IndexKeys.Int64"/>, booleans as "true"/"false",
    /// each element of an array of those. Values without it (or not JSON) are not indexed.
    /// </summary>
    public static IndexExtractor JsonField(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return new JsonFieldExtractor(new JsonPath(path));
    }

    /// <summary>Bytes [offset, offset + length) of the primary key (length null: to its end).</summary>
    public static IndexExtractor KeyBytes(int offset, int? length = null) => ByteRange(true, offset, length);

    /// <summary>Bytes [offset, offset + length) of the value (length null: to its end).</summary>
    public static IndexExtractor ValueBytes(int offset, int? length = null) => ByteRange(false, offset, length);

    /// <summary>Keys ordered by the first part, then the next: see <see cref="IndexKeys.Composite"/>.</summary>
    public static IndexExtractor Composite(params IndexExtractor[] parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Length is < 2 or > 8 || parts.Any(p => p is null || p.IsText))
            throw new InvalidArgumentException("A composite extractor needs 2 to 8 parts, none of them text.", nameof(parts));
        return new CompositeExtractor(parts);
    }

    /// <summary>
    /// A full-text index over the string (or strings) at a JSON path, or over the whole value as
    /// UTF-8 when <paramref name="jsonPath"/> is null: words by Unicode word boundaries, case
    /// folded. Searched with <see cref="LatticeDb.Search"/>, where <c>term*</c> matches every
    /// term starting with <c>term</c> (terms are stored in order, so no extra prefix terms are kept).
    /// </summary>
    public static IndexExtractor Text(string? jsonPath = null) => new TextExtractor(jsonPath is null ? null : new JsonPath(jsonPath));

    /// <summary>
    /// An application's extractor. Only <paramref name="name"/> is stored: give the same selector
    /// again in <see cref="DbOptions.IndexExtractors"/> at every open, or writes to the indexed
    /// family are refused.
    /// </summary>
    public static IndexExtractor Custom(string name, IndexKeySelector selector)
    {
        ArgumentNullException.ThrowIfNull(selector);
        if (string.IsNullOrEmpty(name) || name.Length > 100) throw new InvalidArgumentException("A custom extractor's name must be 1 to 100 characters.", nameof(name));
        return new CustomExtractor(name, selector);
    }

    private static ByteRangeExtractor ByteRange(bool ofKey, int offset, int? length)
    {
        if (offset < 0 || length is < 0) throw new InvalidArgumentException("Byte range offset and length must not be negative.", nameof(offset));
        return new ByteRangeExtractor(ofKey, offset, length);
    }
}

/// <summary>Adds the index keys of one primary entry to <paramref name="indexKeys"/>; deterministic and thread-safe.</summary>
public delegate void IndexKeySelector(ReadOnlySpan<byte> primaryKey, ReadOnlySpan<byte> value, ICollection<byte[]> indexKeys);
