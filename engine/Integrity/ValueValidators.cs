using LatticeKV.Integrity;

namespace LatticeKV;

/// <summary>
/// Built-in validators for <see cref="ColumnFamilyOptions.Validator"/>. Each is stored with the
/// family's options as a description (kind and parameters), so tools can check the data without
/// the program; <see cref="FromDelegate"/> is stored by its name only. Their reasons never quote
/// an encrypted family's keys or values.
/// </summary>
/// <example>
/// <code>
/// var accounts = db.CreateColumnFamily("accounts", new ColumnFamilyOptions
/// {
///     Validator = ValueValidators.All(
///         ValueValidators.KeyPattern("^acc/[a-z0-9]+$"),
///         ValueValidators.JsonSchema("""{"type":"object","required":["owner","balance"]}""")),
/// });
/// </code>
/// </example>
public static class ValueValidators
{
    /// <summary>How long a pattern may run on one key or value when no timeout is given.</summary>
    public static TimeSpan DefaultPatternTimeout { get; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest timeout a pattern may be given: a write must not wait on a regular expression for longer.</summary>
    public static TimeSpan MaxPatternTimeout { get; } = TimeSpan.FromSeconds(10);

    /// <summary>Values must be one well-formed JSON document in UTF-8 (no document is built: nothing allocated when accepted).</summary>
    public static IValueValidator Json => JsonWellFormedValidator.Instance;

    /// <summary>
    /// Values must be JSON documents valid under <paramref name="schema"/> (JSON Schema text,
    /// draft 2020-12 by default; evaluated by the JsonSchema.Net package). The schema must be
    /// self-contained: references to other documents are not fetched. Throws
    /// <see cref="InvalidArgumentException"/> when the schema is not valid.
    /// </summary>
    public static IValueValidator JsonSchema(string schema) => new JsonSchemaValidator(schema);

    /// <summary>Keys must be <paramref name="min"/> to <paramref name="max"/> bytes long (both included).</summary>
    public static IValueValidator KeyLength(int min, int max) => new LengthValidator(ofKey: true, min, max);

    /// <summary>Values must be <paramref name="min"/> to <paramref name="max"/> bytes long (both included).</summary>
    public static IValueValidator ValueLength(int min, int max) => new LengthValidator(ofKey: false, min, max);

    /// <summary>
    /// Keys must be UTF-8 text matching the regular expression <paramref name="pattern"/> (.NET
    /// syntax; use <c>^</c> and <c>$</c> to match the whole key). A match running longer than
    /// <paramref name="timeout"/> (default <see cref="DefaultPatternTimeout"/>, at most
    /// <see cref="MaxPatternTimeout"/>) refuses the write.
    /// </summary>
    public static IValueValidator KeyPattern(string pattern, TimeSpan? timeout = null) => new PatternValidator(ofKey: true, pattern, timeout ?? DefaultPatternTimeout);

    /// <summary>Values must be UTF-8 text matching <paramref name="pattern"/>; see <see cref="KeyPattern"/>.</summary>
    public static IValueValidator ValuePattern(string pattern, TimeSpan? timeout = null) => new PatternValidator(ofKey: false, pattern, timeout ?? DefaultPatternTimeout);

    /// <summary>
    /// A rule of your own: <paramref name="check"/> returns null to accept, or the reason. Stored
    /// by <paramref name="name"/> only: give it again on every open, or the family refuses every
    /// write (reads still work).
    /// </summary>
    public static IValueValidator FromDelegate(string name, ValueCheck check) => new DelegateValidator(name, check);

    /// <summary>Values must pass every one of <paramref name="validators"/>, checked in order; the first refusal is reported.</summary>
    public static IValueValidator All(params IValueValidator[] validators) => new AllValidator(validators);
}
