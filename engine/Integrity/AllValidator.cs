using System.Text.Json;

namespace LatticeKV.Integrity;

/// <summary>Accepts what every one of its validators accepts; the first refusal, in order, gives the reason.</summary>
internal sealed class AllValidator : DescribedValidator
{
    public const string Kind = "all";

    private readonly IValueValidator[] _validators;

    public AllValidator(IValueValidator[] validators)
    {
        ArgumentNullException.ThrowIfNull(validators);
        if (Array.IndexOf(validators, null) >= 0) throw new InvalidArgumentException("ValueValidators.All was given a null validator.", nameof(validators));
        _validators = [.. validators];
    }

    public IReadOnlyList<IValueValidator> Validators => _validators;

    public override bool TryValidate(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool confidential, out string? reason)
    {
        foreach (var validator in _validators)
            if (!ValidatorRun.TryValidate(validator, key, value, confidential, out reason)) return false;
        reason = null;
        return true;
    }

    public override void Describe(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("kind", Kind);
        writer.WriteStartArray("of");
        foreach (var validator in _validators) ValidatorCodec.Describe(validator, writer);
        writer.WriteEndArray();
        writer.WriteEndObject();
    }
}
