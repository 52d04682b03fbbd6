using LatticeKV.Coding;

namespace LatticeKV.Indexing;

/// <summary>
/// Stands for a custom extractor not supplied at this open: every use (a write to the indexed
/// family, a query) is refused, so the index is never silently left stale.
/// </summary>
internal sealed class MissingCustomExtractor(string name) : IndexExtractor
{
    internal override void Extract(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ExtractedKeys output)
        => throw new InvalidArgumentException(
            $"An index uses the custom extractor '{name}', which was not supplied at open (DbOptions.IndexExtractors[\"{name}\"]): its family cannot be written and the index cannot be read until it is.",
            nameof(DbOptions.IndexExtractors));

    internal override void Describe(ByteWriter w)
    {
        w.WriteByte((byte)ExtractorKind.Custom);
        w.WriteLengthPrefixed(System.Text.Encoding.UTF8.GetBytes(name));
    }

    internal override string CustomName => name;

    public override string ToString() => $"custom({name}, not supplied)";
}
