using System.Security.Cryptography;

namespace LatticeKV.Integrity;

/// <summary>
/// How a key appears in messages: printable ASCII quoted, other bytes in hex, and in an encrypted
/// database never the bytes at all: the first bytes of their SHA-256 stand for them, so two
/// messages about the same key can be matched without revealing it.
/// </summary>
internal static class KeyText
{
    private const int MaxShown = 64;

    public static string Of(ReadOnlySpan<byte> key, bool encrypted)
    {
        if (encrypted) return "#" + Convert.ToHexStringLower(SHA256.HashData(key).AsSpan(0, 8));
        var shown = key.Length > MaxShown ? key[..MaxShown] : key;
        string more = key.Length > MaxShown ? "..." : "";
        foreach (byte b in shown)
            if (b is < 0x20 or > 0x7E or (byte)'\'') return "0x" + Convert.ToHexStringLower(shown) + more;
        return "'" + System.Text.Encoding.ASCII.GetString(shown) + "'" + more;
    }
}
