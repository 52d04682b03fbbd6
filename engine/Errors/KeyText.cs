using System.Text;

namespace LatticeKV;

/// <summary>How error messages show a key: printable bytes as text, others escaped, long keys cut; an encrypted family's never.</summary>
internal static class KeyText
{
    private const int MaxKeyShown = 64;

    public static string Describe(ReadOnlySpan<byte> key, bool encrypted)
    {
        if (encrypted) return "a key (not shown: the family is encrypted)";
        var shown = key.Length > MaxKeyShown ? key[..MaxKeyShown] : key;
        var sb = new StringBuilder("key '");
        foreach (byte b in shown)
        {
            if (b is >= 0x20 and < 0x7f and not (byte)'\'' and not (byte)'\\') sb.Append((char)b);
            else sb.Append("\\x").Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        }
        if (shown.Length < key.Length) sb.Append("...");
        return sb.Append('\'').ToString();
    }
}
