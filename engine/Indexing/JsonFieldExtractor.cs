using LatticeKV.Coding;

namespace LatticeKV.Indexing;

/// <summary>
/// The scalar (or array of scalars) at a JSON path: strings as their UTF-8 bytes, integers as
/// <see cref="IndexKeys.Int64"/> (so they sort numerically), booleans as "true"/"false".
/// </summary>
internal sealed class JsonFieldExtractor(JsonPath path) : IndexExtractor
{
    public JsonPath Path { get; } = path;

    internal override void Extract(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ExtractedKeys output)
    {
        var sink = new Sink(output);
        Path.Visit(value, ref sink);
    }

    internal override bool Yields(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ReadOnlySpan<byte> indexKey, ExtractedKeys scratch)
    {
        var match = new Match(indexKey);
        Path.Visit(value, ref match);
        return match.Found;
    }

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

    /// <summary>Looks for one key among the scalars at the path, without copying any of them.</summary>
    internal ref struct Match(ReadOnlySpan<byte> target) : JsonPath.ISink
    {
        private readonly ReadOnlySpan<byte> _target = target;

        public bool Found { get; private set; }

        public void String(ReadOnlySpan<byte> utf8) => Found |= utf8.SequenceEqual(_target);

        public void Number(long value)
        {
            Span<byte> encoded = stackalloc byte[sizeof(long)];
            IndexKeys.WriteInt64(encoded, value);
            Found |= encoded.SequenceEqual(_target);
        }

        public void Boolean(bool value) => Found |= (value ? "true"u8 : "false"u8).SequenceEqual(_target);
    }
}
