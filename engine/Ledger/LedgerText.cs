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

    /// <summary>Checks a required identifier: refused when empty, too long or not valid text.</summary>
    internal static void Required(string? value, int max, string name)
    {
        if (string.IsNullOrEmpty(value)) throw new LedgerArgumentException($"{name} must not be empty.", name);
        Optional(value, max, name);
    }

    /// <summary>Checks an optional identifier (null or empty: none).</summary>
    internal static void Optional(string? value, int max, string name)
    {
        if (string.IsNullOrEmpty(value)) return;
        int length;
        try { length = Utf8.GetByteCount(value); }
        catch (EncoderFallbackException) { throw new LedgerArgumentException($"{name} is not valid Unicode text.", name); }
        if (length > max) throw new LedgerArgumentException($"{name} is longer than {max} UTF-8 bytes.", name);
    }
}
