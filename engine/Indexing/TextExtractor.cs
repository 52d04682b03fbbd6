using LatticeKV.Coding;

namespace LatticeKV.Indexing;

/// <summary>
/// The words of a text (the string or strings at a JSON path, or the whole value as UTF-8), by
/// <see cref="TextTokenizer"/>: index keys are terms, and each entry's value is the term's
/// frequency in the document, for BM25 (<see cref="TextSearch"/>).
/// </summary>
internal sealed class TextExtractor(JsonPath? path) : IndexExtractor
{
    internal override bool IsText => true;

    internal override void Extract(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ExtractedKeys output)
    {
        if (path is null) TextTokenizer.Tokenize(value, output);
        else
        {
            var sink = new Sink(output);
            path.Visit(value, ref sink);
        }
    }

    internal override void Describe(ByteWriter w)
    {
        w.WriteByte((byte)ExtractorKind.Text);
        w.WriteLengthPrefixed(path is null ? [] : System.Text.Encoding.UTF8.GetBytes(path.Text));
    }

    public override string ToString() => path is null ? "text(value)" : $"text({path.Text})";

    private readonly struct Sink(ExtractedKeys output) : JsonPath.ISink
    {
        public void String(ReadOnlySpan<byte> utf8) => TextTokenizer.Tokenize(utf8, output);

        public void Number(long value) { }

        public void Boolean(bool value) { }
    }
}
