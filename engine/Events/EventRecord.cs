using System.Globalization;
using System.Text.Json;

namespace LatticeKV.Events;

/// <summary>One line of the event file as read back: the common fields and the kind's own (<c>lkv events</c>).</summary>
internal sealed record EventRecord(DateTimeOffset Time, string Kind, string Level, JsonElement Fields, string Line)
{
    /// <summary>Parses a line; false for anything that is not a complete event (a torn last line, damage).</summary>
    public static bool TryParse(string line, out EventRecord record)
    {
        record = null!;
        if (line.Length == 0 || line[0] != '{') return false;
        try
        {
            using var doc = JsonDocument.Parse(line, new JsonDocumentOptions { MaxDepth = 8 });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("time", out var time) || time.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("kind", out var kind) || kind.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("level", out var level) || level.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("fields", out var fields) || fields.ValueKind != JsonValueKind.Object)
                return false;
            if (!DateTimeOffset.TryParse(time.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)) return false;
            record = new EventRecord(at, kind.GetString()!, level.GetString()!, fields.Clone(), line);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>The fields as <c>name=value</c> pairs, for a table.</summary>
    public string FieldsText()
    {
        var parts = new List<string>();
        foreach (var p in Fields.EnumerateObject())
            parts.Add(p.Name + "=" + (p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : p.Value.GetRawText()));
        return string.Join(' ', parts);
    }
}
