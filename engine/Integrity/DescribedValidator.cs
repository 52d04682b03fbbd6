using System.Text.Json;

namespace LatticeKV.Integrity;

/// <summary>
/// A validator the database can store (kind and parameters, FORMAT.md §6.1 <c>validator</c>) and
/// rebuild without the program (<see cref="ValidatorCodec"/>), whose reasons can leave out what
/// the value holds (for encrypted families).
/// </summary>
internal abstract class DescribedValidator : IValueValidator
{
    public bool TryValidate(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, out string? reason)
        => TryValidate(key, value, confidential: false, out reason);

    /// <summary>As <see cref="IValueValidator.TryValidate"/>; when <paramref name="confidential"/> (an encrypted family) the reason must not quote the key or the value.</summary>
    public abstract bool TryValidate(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool confidential, out string? reason);

    /// <summary>Writes the stored description: an object with a <c>kind</c> and the parameters.</summary>
    public abstract void Describe(Utf8JsonWriter writer);

    public override string ToString() => ValidatorCodec.Describe(this);
}
