using System.Text.Json;
using LatticeKV.Coding;

namespace LatticeKV.Integrity;

/// <summary>
/// Stores a validator as a one-line JSON description (FORMAT.md §6.1, <c>validator</c>):
/// built-ins with their parameters, so a tool can check data without the program; a delegate
/// and an application's own class by name only. Rebuilding a description gives back the
/// built-ins and a <see cref="MissingValidator"/> for what only the program has.
/// </summary>
internal static class ValidatorCodec
{
    private const string CustomKind = "custom";

    /// <summary>The description, compact (escapes keep it on one line).</summary>
    public static string Describe(IValueValidator validator)
    {
        using var stream = new MemoryStream();
        // Relaxed escaping keeps patterns and schemas readable in OPTIONS; control characters are still escaped, so it stays one line.
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping })) Describe(validator, writer);
        return Utf8.GetString(stream.ToArray());
    }

    public static void Describe(IValueValidator validator, Utf8JsonWriter writer)
    {
        if (validator is DescribedValidator described)
        {
            described.Describe(writer);
            return;
        }
        writer.WriteStartObject();
        writer.WriteString("kind", CustomKind);
        writer.WriteString("name", validator.GetType().FullName ?? validator.GetType().Name);
        writer.WriteEndObject();
    }

    /// <summary>Rebuilds a stored description. Throws <see cref="CorruptionException"/> when it is not one.</summary>
    public static IValueValidator Build(string description)
    {
        try
        {
            using var document = JsonDocument.Parse(description);
            return Build(document.RootElement);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException or FormatException or InvalidArgumentException)
        {
            throw new CorruptionException($"malformed validator description ({ex.GetType().Name})", innerException: ex);
        }
    }

    private static IValueValidator Build(JsonElement e)
    {
        string kind = e.GetProperty("kind").GetString() ?? throw new FormatException("kind is null");
        return kind switch
        {
            JsonWellFormedValidator.Kind => JsonWellFormedValidator.Instance,
            JsonSchemaValidator.Kind => new JsonSchemaValidator(e.GetProperty("schema").GetString()!),
            LengthValidator.KeyKind or LengthValidator.ValueKind
                => new LengthValidator(kind == LengthValidator.KeyKind, e.GetProperty("min").GetInt32(), e.GetProperty("max").GetInt32()),
            PatternValidator.KeyKind or PatternValidator.ValueKind
                => new PatternValidator(kind == PatternValidator.KeyKind, e.GetProperty("pattern").GetString()!, TimeSpan.FromMilliseconds(e.GetProperty("timeout_ms").GetDouble())),
            AllValidator.Kind => new AllValidator([.. e.GetProperty("of").EnumerateArray().Select(Build)]),
            DelegateValidator.Kind => new MissingValidator(e.GetRawText(), $"delegate '{e.GetProperty("name").GetString()}'"),
            CustomKind => new MissingValidator(e.GetRawText(), $"validator class '{e.GetProperty("name").GetString()}'"),
            _ => new MissingValidator(e.GetRawText(), $"a validator of kind '{kind}' this version does not know"),
        };
    }

    /// <summary>The validators of <paramref name="validator"/> this program lacks (empty when it can judge every value).</summary>
    public static IEnumerable<MissingValidator> Missing(IValueValidator validator) => validator switch
    {
        MissingValidator missing => [missing],
        AllValidator all => all.Validators.SelectMany(Missing),
        _ => [],
    };

    /// <summary>A delegate validator's name: stored, so non-empty and one line.</summary>
    public static string CheckName(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Contains('\n', StringComparison.Ordinal))
            throw new InvalidArgumentException("A validator's name must be non-empty and one line.", nameof(name));
        return name;
    }
}
