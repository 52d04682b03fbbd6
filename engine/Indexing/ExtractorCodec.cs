using System.Text;
using LatticeKV.Coding;

namespace LatticeKV.Indexing;

/// <summary>Reads a stored extractor description back (FORMAT.md, "Index definitions"); damage is a <see cref="CorruptionException"/>.</summary>
internal static class ExtractorCodec
{
    private const int MaxDepth = 4;
    private const int MaxLength = 64 * 1024 * 1024;

    public static IndexExtractor Decode(ref SpanReader r, IReadOnlyDictionary<string, IndexExtractor> supplied, int depth = 0)
    {
        if (depth > MaxDepth) throw new CorruptionException("index extractor nested too deeply");
        var kind = (ExtractorKind)r.ReadByte();
        switch (kind)
        {
            case ExtractorKind.JsonField:
                return new JsonFieldExtractor(Path(ReadString(ref r)));
            case ExtractorKind.KeyBytes:
            case ExtractorKind.ValueBytes:
                int offset = r.ReadVarintInt(MaxLength);
                int length = r.ReadVarintInt(MaxLength);
                return new ByteRangeExtractor(kind == ExtractorKind.KeyBytes, offset, length == 0 ? null : length - 1);
            case ExtractorKind.Composite:
                int count = r.ReadVarintInt(8);
                if (count < 2) throw new CorruptionException($"composite index extractor with {count} parts");
                var parts = new IndexExtractor[count];
                for (int i = 0; i < count; i++)
                {
                    parts[i] = Decode(ref r, supplied, depth + 1);
                    if (parts[i].IsText) throw new CorruptionException("composite index extractor with a text part");
                }
                return new CompositeExtractor(parts);
            case ExtractorKind.Text:
                string path = ReadString(ref r);
                return new TextExtractor(path.Length == 0 ? null : Path(path));
            case ExtractorKind.Custom:
                string name = ReadString(ref r);
                if (name.Length == 0) throw new CorruptionException("custom index extractor without a name");
                return supplied.TryGetValue(name, out var given) && given.CustomName == name ? given : new MissingCustomExtractor(name);
            default:
                throw new CorruptionException($"unknown index extractor kind {(byte)kind}");
        }
    }

    private static string ReadString(ref SpanReader r)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(r.ReadLengthPrefixed());
        }
        catch (DecoderFallbackException)
        {
            throw new CorruptionException("index definition holds a string that is not UTF-8");
        }
    }

    private static JsonPath Path(string text)
    {
        try
        {
            return new JsonPath(text);
        }
        catch (InvalidArgumentException)
        {
            throw new CorruptionException("index definition holds an invalid JSON path");
        }
    }
}
