using System.Buffers;
using System.Text;
using System.Text.Json;
using Json.Schema;

namespace LatticeKV.Integrity;

/// <summary>
/// Accepts a value that is a JSON document valid under a JSON Schema (draft 2020-12 unless the
/// schema's <c>$schema</c> says otherwise), evaluated by JsonSchema.Net. The schema is built once;
/// it must be self-contained (references to other documents are not fetched).
/// </summary>
internal sealed class JsonSchemaValidator : DescribedValidator
{
    public const string Kind = "json_schema";

    // The first few failures make a useful reason; the rest make it long.
    private const int MaxErrorsShown = 3;

    private readonly string _schemaText;
    private readonly JsonSchema _schema;
    private readonly EvaluationOptions _evaluation = new() { OutputFormat = OutputFormat.List };

    public JsonSchemaValidator(string schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        try
        {
            // A registry of its own: building the same $id again (each open) must not clash with the global one.
            _schema = JsonSchema.FromText(schema, new BuildOptions { SchemaRegistry = new SchemaRegistry() });
        }
        catch (Exception ex) when (ex is JsonException or JsonSchemaException or ArgumentException or InvalidOperationException or RefResolutionException)
        {
            throw new InvalidArgumentException($"Invalid JSON Schema: {ex.Message}", nameof(schema));
        }
        _schemaText = schema;
    }

    public override bool TryValidate(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool confidential, out string? reason)
    {
        reason = JsonWellFormedValidator.Check(value);
        if (reason is not null) return false;
        // The document refers to its input: copy the value into a pooled buffer for its lifetime.
        byte[] buffer = ArrayPool<byte>.Shared.Rent(value.Length);
        try
        {
            value.CopyTo(buffer);
            using var document = JsonDocument.Parse(buffer.AsMemory(0, value.Length));
            var results = _schema.Evaluate(document.RootElement, _evaluation);
            if (results.IsValid) return true;
            reason = Describe(results, confidential);
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer, clearArray: confidential);
        }
    }

    /// <summary>
    /// The first failures: where in the document and the library's message, or for an encrypted
    /// family only the failing keyword and its place in the schema (the library's messages quote
    /// values, and a document location can hold the value's own property names).
    /// </summary>
    private static string Describe(EvaluationResults results, bool confidential)
    {
        var sb = new StringBuilder("value does not match the JSON Schema: ");
        int shown = 0, total = 0;
        foreach (var node in results.Details is { Count: > 0 } details ? details : (IEnumerable<EvaluationResults>)[results])
        {
            if (node.Errors is not { Count: > 0 } errors) continue;
            foreach (var (keyword, message) in errors)
            {
                total++;
                if (shown == MaxErrorsShown) continue;
                if (shown++ > 0) sb.Append("; ");
                if (confidential) sb.Append("keyword '").Append(keyword).Append("' fails at schema location ").Append(Location(node.EvaluationPath.ToString()));
                else sb.Append(Location(node.InstanceLocation.ToString())).Append(": ").Append(message);
            }
        }
        if (total == 0) sb.Append("the document is not valid");
        else if (total > shown) sb.Append(" (and ").Append(total - shown).Append(" more)");
        return sb.ToString();
    }

    private static string Location(string pointer) => pointer.Length == 0 ? "/" : pointer;

    public override void Describe(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("kind", Kind);
        writer.WriteString("schema", _schemaText);
        writer.WriteEndObject();
    }
}
