using System.Text;
using System.Text.Json;

namespace LatticeKV.Indexing;

/// <summary>
/// A dotted path into a JSON document (<c>$.account</c>, <c>payer.id</c>), found with one pass of
/// <see cref="Utf8JsonReader"/> over the value (no document object per write). The value at the
/// path, or each element of an array there, is handed to a sink as a scalar; objects, nulls and
/// values that are not JSON yield nothing.
/// </summary>
internal sealed class JsonPath
{
    private const int MaxSegments = 32;
    private readonly byte[][] _segments;

    public JsonPath(string path)
    {
        Text = path;
        string body = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path;
        var parts = body.Split('.');
        if (body.Length == 0 || parts.Length > MaxSegments || parts.Any(p => p.Length == 0))
            throw new InvalidArgumentException($"JSON path '{path}' must be dotted property names, such as $.account or payer.id.", nameof(path));
        _segments = [.. parts.Select(Encoding.UTF8.GetBytes)];
    }

    public string Text { get; }

    /// <summary>What the value at a path is handed to.</summary>
    public interface ISink
    {
        void String(ReadOnlySpan<byte> utf8);

        void Number(long value);

        void Boolean(bool value);
    }

    public void Visit<TSink>(ReadOnlySpan<byte> json, ref TSink sink) where TSink : ISink, allows ref struct
    {
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
            if (!reader.Read()) return;
            for (int depth = 0; depth < _segments.Length; depth++)
            {
                if (reader.TokenType != JsonTokenType.StartObject || !FindProperty(ref reader, _segments[depth])) return;
                if (!reader.Read()) return;
            }
            VisitValue(ref reader, ref sink);
        }
        catch (JsonException)
        {
            // A value that is not JSON has nothing at the path: it is simply not in the index.
        }
    }

    /// <summary>The property name when the path is a single property of the top-level object (<c>$.account</c>); otherwise null.</summary>
    internal byte[]? TopLevelName => _segments.Length == 1 ? _segments[0] : null;

    /// <summary>
    /// Hands the value the reader is at to <paramref name="sink"/> as <see cref="Visit"/> hands the
    /// value at its path: each scalar of an array (the reader is left at its end), or the scalar
    /// itself; an object yields nothing and the reader stays at its start. Throws
    /// <see cref="JsonException"/> when the value is not well-formed JSON.
    /// </summary>
    internal static void VisitValue<TSink>(ref Utf8JsonReader reader, ref TSink sink) where TSink : ISink, allows ref struct
    {
        if (reader.TokenType == JsonTokenType.StartArray)
        {
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray) reader.Skip();
                else Scalar(ref reader, ref sink);
            }
            return;
        }
        Scalar(ref reader, ref sink);
    }

    /// <summary>Moves to the value of property <paramref name="name"/> of the object the reader is at; false when absent.</summary>
    private static bool FindProperty(ref Utf8JsonReader reader, byte[] name)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals(name)) return true;
            reader.Read();
            reader.Skip();
        }
        return false;
    }

    private static void Scalar<TSink>(ref Utf8JsonReader reader, ref TSink sink) where TSink : ISink, allows ref struct
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                if (!reader.ValueIsEscaped && !reader.HasValueSequence)
                {
                    sink.String(reader.ValueSpan);
                    break;
                }
                var buffer = new byte[reader.ValueSpan.Length];
                int n = reader.CopyString(buffer);
                sink.String(buffer.AsSpan(0, n));
                break;
            case JsonTokenType.Number:
                if (reader.TryGetInt64(out long v)) sink.Number(v);
                break;
            case JsonTokenType.True:
                sink.Boolean(true);
                break;
            case JsonTokenType.False:
                sink.Boolean(false);
                break;
        }
    }
}
