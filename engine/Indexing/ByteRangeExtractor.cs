using LatticeKV.Coding;

namespace LatticeKV.Indexing;

/// <summary>
/// Bytes [offset, offset + length) of the key or of the value (length null: to the end). An
/// entry too short to reach offset yields nothing; one shorter than offset + length yields what it has.
/// </summary>
internal sealed class ByteRangeExtractor(bool ofKey, int offset, int? length) : IndexExtractor
{
    internal override void Extract(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ExtractedKeys output)
    {
        var source = ofKey ? key : value;
        if (source.Length < offset || (source.Length == offset && length != 0)) return;
        var rest = source[offset..];
        output.Add(length is { } n && n < rest.Length ? rest[..n] : rest);
    }

    internal override bool ReadsKeyOnly => ofKey;

    internal override void Describe(ByteWriter w)
    {
        w.WriteByte((byte)(ofKey ? ExtractorKind.KeyBytes : ExtractorKind.ValueBytes));
        w.WriteVarint((ulong)offset);
        w.WriteVarint(length is { } n ? (ulong)n + 1 : 0);
    }

    public override string ToString() => $"{(ofKey ? "key" : "value")}[{offset}..{(length is { } n ? (offset + n).ToString(System.Globalization.CultureInfo.InvariantCulture) : "")}]";
}
