using LatticeKV.Coding;

namespace LatticeKV.Indexing;

/// <summary>
/// The document record a text index keeps per primary key (at <see cref="IndexKeyEncoding.DocumentKey"/>):
/// its length in words and each term with its frequency, in term order. It is replaced by every
/// write of the primary key, so it always describes the current value: a posting is valid when
/// the record holds its term, and the corpus statistics are sums over these records.
/// Persistent format: varint length, varint term count, then per term its length-prefixed bytes and varint frequency.
/// </summary>
internal sealed class TextDocument
{
    private readonly Dictionary<byte[], int> _terms;

    private TextDocument(long length, Dictionary<byte[], int> terms)
    {
        Length = length;
        _terms = terms;
    }

    public long Length { get; }

    public int FrequencyOf(ReadOnlySpan<byte> term) => _terms.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(term, out int n) ? n : 0;

    public IReadOnlyDictionary<byte[], int> Terms => _terms;

    public static byte[] Encode(ExtractedKeys keys)
    {
        var w = new ByteWriter();
        w.WriteVarint((ulong)keys.Tokens);
        w.WriteVarint((ulong)keys.Count);
        foreach (var (term, tf) in keys.Entries.OrderBy(e => e.Key, ByteKeys.Instance))
        {
            w.WriteLengthPrefixed(term);
            w.WriteVarint((ulong)tf);
        }
        return w.ToArray();
    }

    public static TextDocument Decode(ReadOnlySpan<byte> data)
    {
        var r = new SpanReader(data);
        long length = (long)r.ReadVarint();
        int count = r.ReadVarintInt(r.Remaining);
        var terms = new Dictionary<byte[], int>(count, ByteKeys.Instance);
        for (int i = 0; i < count; i++) terms[r.ReadLengthPrefixed().ToArray()] = r.ReadVarintInt();
        return new TextDocument(length, terms);
    }

    /// <summary>The value of a posting: the term's frequency in the document (a hint; the document record is authoritative).</summary>
    public static byte[] EncodeFrequency(int frequency)
    {
        var w = new ByteWriter(5);
        w.WriteVarint((ulong)frequency);
        return w.ToArray();
    }

    /// <summary>The length alone (the statistics need nothing more).</summary>
    public static long LengthOf(ReadOnlySpan<byte> data) => (long)new SpanReader(data).ReadVarint();
}
