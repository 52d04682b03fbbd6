namespace LatticeKV.Coding;

/// <summary>UTF-8 text in on-disk structures. (Named so it does not collide with System.Text.Encoding.)</summary>
internal static class Utf8
{
    private static readonly System.Text.UTF8Encoding s_strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static byte[] GetBytes(string s) => s_strict.GetBytes(s);

    /// <summary>The number of bytes <see cref="GetBytes"/> returns for <paramref name="s"/>, without allocating them.</summary>
    public static int GetByteCount(string s) => s_strict.GetByteCount(s);

    /// <summary>Encodes <paramref name="s"/> into <paramref name="destination"/> (at least <see cref="GetByteCount"/> bytes); returns the bytes written.</summary>
    public static int Write(string s, Span<byte> destination) => s_strict.GetBytes(s, destination);

    /// <summary>Decodes stored text; invalid UTF-8 is corruption.</summary>
    public static string GetString(ReadOnlySpan<byte> bytes)
    {
        try { return s_strict.GetString(bytes); }
        catch (System.Text.DecoderFallbackException ex) { throw new CorruptionException("invalid UTF-8 in stored text", null, -1, ex); }
    }
}
