using System.Text;

namespace LatticeKV.Tool.Cli;

/// <summary>How keys and values are written on the command line and shown.</summary>
public enum ByteFormat
{
    /// <summary>Input: <c>0x…</c> is hex, anything else UTF-8. Output: UTF-8 when printable, else <c>0x…</c> hex.</summary>
    Auto,
    /// <summary>UTF-8 text, taken literally.</summary>
    Utf8,
    /// <summary>Hexadecimal, with or without a <c>0x</c> prefix on input; with it on output.</summary>
    Hex,
    /// <summary>Standard base64.</summary>
    Base64,
}

/// <summary>Converts between bytes and their text forms.</summary>
public static class ByteText
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    /// <summary>Parses <paramref name="text"/>; malformed input throws <see cref="UsageException"/> naming <paramref name="what"/>.</summary>
    public static byte[] Parse(string text, ByteFormat format, string what)
    {
        switch (format)
        {
            case ByteFormat.Auto when text.StartsWith("0x", StringComparison.OrdinalIgnoreCase):
            case ByteFormat.Hex:
                string hex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text[2..] : text;
                try { return Convert.FromHexString(hex); }
                catch (FormatException) { throw new UsageException($"{what} '{text}' is not valid hex (an even number of 0-9a-f digits, optionally after 0x)."); }
            case ByteFormat.Base64:
                try { return Convert.FromBase64String(text); }
                catch (FormatException) { throw new UsageException($"{what} '{text}' is not valid base64."); }
            default:
                return StrictUtf8.GetBytes(text);
        }
    }

    /// <summary>Formats <paramref name="bytes"/> for display.</summary>
    public static string Format(ReadOnlySpan<byte> bytes, ByteFormat format) => format switch
    {
        ByteFormat.Hex => "0x" + Convert.ToHexStringLower(bytes),
        ByteFormat.Base64 => Convert.ToBase64String(bytes),
        ByteFormat.Utf8 => Encoding.UTF8.GetString(bytes),
        _ => IsPrintable(bytes, out string? text) ? text! : "0x" + Convert.ToHexStringLower(bytes),
    };

    /// <summary>True when <paramref name="bytes"/> is valid UTF-8 without control characters (and does not itself look like hex).</summary>
    private static bool IsPrintable(ReadOnlySpan<byte> bytes, out string? text)
    {
        text = null;
        if (bytes.Length >= 2 && bytes[0] == '0' && (bytes[1] | 0x20) == 'x') return false;
        try { text = StrictUtf8.GetString(bytes); }
        catch (DecoderFallbackException) { return false; }
        foreach (char c in text)
            if (char.IsControl(c)) return false;
        return true;
    }
}

/// <summary>A malformed command line or input value: reported with exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
