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

    /// <summary>
    /// The value of a posting: the term's frequency and the document's length in words, written by
    /// the write that made the document, so they are exact whenever the document record still holds
    /// the term (a posting of a term the record lacks is stale). Persistent format: varint frequency, varint length.
    /// </summary>
    public static byte[] EncodePosting(int frequency, int length)
    {
        var w = new ByteWriter(10);
        w.WriteVarint((ulong)frequency);
        w.WriteVarint((ulong)length);
        return w.ToArray();
    }

    /// <summary>Reads a posting value; false for a value without a length (written by a version 1 index) or a damaged one.</summary>
    public static bool TryDecodePosting(ReadOnlySpan<byte> value, out int frequency, out long length)
    {
        frequency = 0;
        length = 0;
        if (!Varint.TryRead(value, out ulong tf, out int read) || !Varint.TryRead(value[read..], out ulong words, out _) || tf == 0 || tf > int.MaxValue) return false;
        frequency = (int)tf;
        length = (long)words;
        return true;
    }

    /// <summary>The frequency of <paramref name="term"/> in an encoded document record (0: absent), without decoding the rest.</summary>
    public static int FrequencyIn(ReadOnlySpan<byte> data, ReadOnlySpan<byte> term, out long length)
    {
        var r = new SpanReader(data);
        length = (long)r.ReadVarint();
        int count = r.ReadVarintInt(r.Remaining);
        for (int i = 0; i < count; i++)
        {
            var found = r.ReadLengthPrefixed();
            int tf = r.ReadVarintInt();
            int order = found.SequenceCompareTo(term);
            if (order == 0) return tf;
            if (order > 0) break; // terms are stored in order
        }
        return 0;
    }

    /// <summary>The length alone (the statistics need nothing more).</summary>
    public static long LengthOf(ReadOnlySpan<byte> data) => (long)new SpanReader(data).ReadVarint();
}
