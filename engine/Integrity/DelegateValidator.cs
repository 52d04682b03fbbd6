using System.Text.Json;

namespace LatticeKV.Integrity;

/// <summary>A <see cref="ValueCheck"/> under a name; stored by its name only (the code must be given at every open).</summary>
internal sealed class DelegateValidator : DescribedValidator
{
    public const string Kind = "delegate";

    private readonly ValueCheck _check;

    public DelegateValidator(string name, ValueCheck check)
    {
        ArgumentNullException.ThrowIfNull(check);
        Name = ValidatorCodec.CheckName(name);
        _check = check;
    }

    public string Name { get; }

    public override bool TryValidate(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool confidential, out string? reason)
    {
        reason = _check(key, value);
        return reason is null;
    }

    public override void Describe(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("kind", Kind);
        writer.WriteString("name", Name);
        writer.WriteEndObject();
    }
}
