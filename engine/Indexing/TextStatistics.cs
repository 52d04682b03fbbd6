using LatticeKV.Coding;

namespace LatticeKV.Indexing;

/// <summary>
/// A text index's corpus statistics (at <see cref="IndexKeyEncoding.StatisticsKey"/>): how many
/// documents it holds and their total length in words, kept exactly by the commit checks of the
/// writes that change them. Persistent format: varint documents, varint total length.
/// </summary>
internal readonly record struct TextStatistics(long Documents, long TotalLength)
{
    public byte[] Encode()
    {
        var w = new ByteWriter(20);
        w.WriteVarint((ulong)Documents);
        w.WriteVarint((ulong)TotalLength);
        return w.ToArray();
    }

    /// <summary>The statistics without the document whose record is <paramref name="document"/> (null: none).</summary>
    public TextStatistics Without(byte[]? document) => document is null ? this : new(Documents - 1, TotalLength - TextDocument.LengthOf(document));

    /// <summary>The statistics with a document of <paramref name="words"/> words (none counts only when it has words).</summary>
    public TextStatistics With(int words) => words == 0 ? this : new(Documents + 1, TotalLength + words);

    public static TextStatistics Decode(byte[]? data)
    {
        if (data is null) return default;
        var r = new SpanReader(data);
        return new TextStatistics((long)r.ReadVarint(), (long)r.ReadVarint());
    }
}
