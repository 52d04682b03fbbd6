using LatticeKV.Coding;

namespace LatticeKV.Indexing;

/// <summary>
/// The scalar (or array of scalars) at a JSON path: strings as their UTF-8 bytes, integers as
/// <see cref="IndexKeys.Int64"/> (so they sort numerically), booleans as "true"/"false".
/// </summary>
internal sealed class JsonFieldExtractor(JsonPath path) : IndexExtractor
{
    public JsonPath Path { get; } = path;

    internal override void Extract(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ExtractedKeys output) => Path.Visit(value, new Sink(output));

    internal override void Describe(ByteWriter w)
    {
        w.WriteByte((byte)ExtractorKind.JsonField);
        w.WriteLengthPrefixed(System.Text.Encoding.UTF8.GetBytes(Path.Text));
    }

    public override string ToString() => $"json({Path.Text})";

    private readonly struct Sink(ExtractedKeys output) : JsonPath.ISink
    {
        public void String(ReadOnlySpan<byte> utf8) => output.Add(utf8);

        public void Number(long value) => output.Add(IndexKeys.Int64(value));

        public void Boolean(bool value) => output.Add(value ? "true"u8 : "false"u8);
    }
}
