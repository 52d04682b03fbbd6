using System.Text.Json;

namespace LatticeKV.Integrity;

/// <summary>Accepts keys (or values) whose length in bytes is between <c>min</c> and <c>max</c>, both included.</summary>
internal sealed class LengthValidator : DescribedValidator
{
    public const string KeyKind = "key_length";
    public const string ValueKind = "value_length";

    private readonly bool _ofKey;
    private readonly int _min;
    private readonly int _max;

    public LengthValidator(bool ofKey, int min, int max)
    {
        if (min < 0 || max < min)
            throw new InvalidArgumentException($"A {(ofKey ? "key" : "value")} length rule needs 0 <= min <= max (got {min} and {max}).", nameof(min));
        _ofKey = ofKey;
        _min = min;
        _max = max;
    }

    public override bool TryValidate(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool confidential, out string? reason)
    {
        int length = _ofKey ? key.Length : value.Length;
        if (length >= _min && length <= _max)
        {
            reason = null;
            return true;
        }
        reason = $"{(_ofKey ? "key" : "value")} is {length} bytes long, outside {_min}..{_max}";
        return false;
    }

    public override void Describe(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("kind", _ofKey ? KeyKind : ValueKind);
        writer.WriteNumber("min", _min);
        writer.WriteNumber("max", _max);
        writer.WriteEndObject();
    }
}
