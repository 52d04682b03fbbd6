using System.Text.Json;

namespace LatticeKV.Integrity;

/// <summary>
/// Accepts a value that is one well-formed JSON document in UTF-8 (RFC 8259; no comments or
/// trailing commas; nesting up to 64 deep). Reads it with <see cref="Utf8JsonReader"/>: no
/// document is built and nothing is allocated when it accepts.
/// </summary>
internal sealed class JsonWellFormedValidator : DescribedValidator
{
    public const string Kind = "json";

    public static readonly JsonWellFormedValidator Instance = new();

    private JsonWellFormedValidator() { }

    public override bool TryValidate(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool confidential, out string? reason)
    {
        reason = Check(value);
        return reason is null;
    }

    /// <summary>Null when <paramref name="value"/> is well-formed JSON, else why not (a position, never the bytes there).</summary>
    public static string? Check(ReadOnlySpan<byte> value)
    {
        // The reader checks the UTF-8 of strings only as it unescapes them: check it all first.
        if (!System.Text.Unicode.Utf8.IsValid(value)) return "value is not valid UTF-8";
        var reader = new Utf8JsonReader(value);
        try
        {
            while (reader.Read()) { }
            return null;
        }
        catch (JsonException ex)
        {
            // The exception's own message quotes the offending character: give its position only.
            return $"value is not well-formed JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1})";
        }
    }

    public override void Describe(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("kind", Kind);
        writer.WriteEndObject();
    }
}
