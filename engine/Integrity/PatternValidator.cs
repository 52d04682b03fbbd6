using System.Buffers;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace LatticeKV.Integrity;

/// <summary>
/// Accepts keys (or values) that are UTF-8 text matching a regular expression (.NET syntax,
/// culture-invariant; anchor it with <c>^</c> and <c>$</c> to match the whole text). A match
/// that runs past the timeout rejects the write: a pathological pattern costs one timeout, not a hang.
/// </summary>
internal sealed class PatternValidator : DescribedValidator
{
    public const string KeyKind = "key_pattern";
    public const string ValueKind = "value_pattern";

    // Text up to this many UTF-16 units is decoded on the stack.
    private const int StackChars = 256;

    private readonly bool _ofKey;
    private readonly string _pattern;
    private readonly TimeSpan _timeout;
    private readonly Regex _regex;

    public PatternValidator(bool ofKey, string pattern, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        if (timeout <= TimeSpan.Zero || timeout > ValueValidators.MaxPatternTimeout)
            throw new InvalidArgumentException("A pattern rule's timeout must be positive and at most 10 seconds.", nameof(timeout));
        try
        {
            _regex = new Regex(pattern, RegexOptions.CultureInvariant | RegexOptions.Compiled, timeout);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidArgumentException($"Invalid pattern: {ex.Message}", nameof(pattern));
        }
        _ofKey = ofKey;
        _pattern = pattern;
        _timeout = timeout;
    }

    public override bool TryValidate(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool confidential, out string? reason)
    {
        var bytes = _ofKey ? key : value;
        string what = _ofKey ? "key" : "value";
        char[]? rented = null;
        Span<char> chars = bytes.Length <= StackChars ? stackalloc char[StackChars] : (rented = ArrayPool<char>.Shared.Rent(bytes.Length));
        try
        {
            var status = System.Text.Unicode.Utf8.ToUtf16(bytes, chars, out _, out int written, replaceInvalidSequences: false);
            if (status != OperationStatus.Done)
            {
                reason = $"{what} is not valid UTF-8 text";
                return false;
            }
            bool matched;
            try
            {
                matched = _regex.IsMatch(chars[..written]);
            }
            catch (RegexMatchTimeoutException)
            {
                reason = $"{what} pattern check ran past its timeout of {_timeout.TotalMilliseconds:0.###} ms";
                return false;
            }
            reason = matched ? null : $"{what} does not match the pattern {_pattern}";
            return matched;
        }
        finally
        {
            if (rented is not null) ArrayPool<char>.Shared.Return(rented, clearArray: true);
        }
    }

    public override void Describe(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("kind", _ofKey ? KeyKind : ValueKind);
        writer.WriteString("pattern", _pattern);
        writer.WriteNumber("timeout_ms", _timeout.TotalMilliseconds);
        writer.WriteEndObject();
    }
}
