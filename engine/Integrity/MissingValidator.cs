using System.Text.Json;

namespace LatticeKV.Integrity;

/// <summary>
/// Stands for a stored validator this program cannot rebuild: a delegate or a validator class
/// of the application (stored by name only), or a kind from a newer version. It refuses every
/// value, so a family opened without its validator can be read but not written, and it keeps
/// the stored description as it was.
/// </summary>
internal sealed class MissingValidator(string description, string what) : DescribedValidator
{
    /// <summary>What is missing, for messages: "delegate 'name'".</summary>
    public string What { get; } = what;

    public override bool TryValidate(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool confidential, out string? reason)
    {
        reason = $"the family's validator includes {What}, which was not given when the database was opened (ColumnFamilyOptions.Validator)";
        return false;
    }

    public override void Describe(Utf8JsonWriter writer)
    {
        using var document = JsonDocument.Parse(description);
        document.RootElement.WriteTo(writer);
    }
}
