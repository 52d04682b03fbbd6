using System.Text;
using LatticeKV.Coding;

namespace LatticeKV.Ledger;

/// <summary>The ledger's identifiers (chain, transaction, account, asset, block hash) as UTF-8, checked against their limits.</summary>
internal static class LedgerText
{
    internal const int MaxChain = 64;
    internal const int MaxTransactionId = 128;
    internal const int MaxAccount = 256;
    internal const int MaxAsset = 64;
    internal const int MaxBlockHash = 128;

    /// <summary>The UTF-8 bytes of a required identifier, refused when empty, too long or not valid text.</summary>
    internal static byte[] Required(string? value, int max, string name)
    {
        if (string.IsNullOrEmpty(value)) throw new LedgerArgumentException($"{name} must not be empty.", name);
        return Optional(value, max, name);
    }

    /// <summary>The UTF-8 bytes of an optional identifier (null or empty: none).</summary>
    internal static byte[] Optional(string? value, int max, string name)
    {
        if (string.IsNullOrEmpty(value)) return [];
        byte[] bytes;
        try { bytes = Utf8.GetBytes(value); }
        catch (EncoderFallbackException) { throw new LedgerArgumentException($"{name} is not valid Unicode text.", name); }
        if (bytes.Length > max) throw new LedgerArgumentException($"{name} is longer than {max} UTF-8 bytes.", name);
        return bytes;
    }
}
