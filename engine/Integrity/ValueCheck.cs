namespace LatticeKV;

/// <summary>
/// A validation rule as a function (<see cref="ValueValidators.FromDelegate"/>): returns null to
/// accept <paramref name="value"/> under <paramref name="key"/>, or the reason it is refused.
/// The rules of <see cref="IValueValidator"/> apply (thread-safe, deterministic, quick).
/// </summary>
public delegate string? ValueCheck(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);
