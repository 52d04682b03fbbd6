using System.Globalization;
using System.Text.Json;
using LatticeKV.Ledger;
using LatticeKV.Tool.Cli;

namespace LatticeKV.Tool.Ledgers;

/// <summary>
/// The JSON form of a ledger transaction that <c>lkv ledger</c> reads and writes:
/// <code>
/// {"chain":"bitcoin","txid":"…","height":812,"block_hash":"…","position":3,
///  "status":"confirmed","depth":2,"raw":"hex…",
///  "postings":[{"account":"alice","asset":"BTC","amount":"-40"}]}
/// </code>
/// Amounts are integers in the asset's smallest unit, as a JSON string or number (strings carry
/// the whole range of a 128-bit amount). Status is pending (the default), confirmed, final or orphaned.
/// </summary>
internal static class LedgerJson
{
    public static Dictionary<string, object?> ToJson(LedgerTransaction tx) => new()
    {
        ["chain"] = tx.Chain,
        ["txid"] = tx.TransactionId,
        ["height"] = tx.BlockHeight,
        ["block_hash"] = tx.BlockHash,
        ["position"] = tx.Position,
        ["status"] = tx.Status.Kind.ToString().ToLowerInvariant(),
        ["depth"] = tx.Status.Depth,
        ["raw"] = Convert.ToHexStringLower(tx.RawTransaction),
        ["postings"] = tx.Postings.Select(p => new Dictionary<string, object?>
        {
            ["account"] = p.Account,
            ["asset"] = p.Asset,
            ["amount"] = p.Amount.ToString(CultureInfo.InvariantCulture),
        }).ToList(),
    };

    /// <summary>Reads one transaction object; anything malformed is a usage error naming what.</summary>
    public static LedgerTransaction Parse(JsonElement e, string where)
    {
        if (e.ValueKind != JsonValueKind.Object) throw new UsageException($"{where}: a transaction is a JSON object.");
        string chain = RequiredString(e, "chain", where);
        string txid = RequiredString(e, "txid", where);
        long? height = e.TryGetProperty("height", out var h) && h.ValueKind != JsonValueKind.Null
            ? h.TryGetInt64(out long hv) ? hv : throw new UsageException($"{where}: height is not an integer.")
            : null;
        string? blockHash = OptionalString(e, "block_hash", where);
        int position = e.TryGetProperty("position", out var p) ? p.TryGetInt32(out int pv) ? pv : throw new UsageException($"{where}: position is not an integer.") : 0;
        int depth = e.TryGetProperty("depth", out var d) ? d.TryGetInt32(out int dv) ? dv : throw new UsageException($"{where}: depth is not an integer.") : 1;
        var status = ParseStatus(OptionalString(e, "status", where) ?? (height is null ? "pending" : "confirmed"), depth, where);
        byte[] raw = OptionalString(e, "raw", where) is { } hex ? Hex(hex, where + ": raw") : [];
        var postings = new List<LedgerPosting>();
        if (e.TryGetProperty("postings", out var list))
        {
            if (list.ValueKind != JsonValueKind.Array) throw new UsageException($"{where}: postings is not an array.");
            foreach (var item in list.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object) throw new UsageException($"{where}: a posting is a JSON object.");
                postings.Add(new LedgerPosting(RequiredString(item, "account", where), RequiredString(item, "asset", where), Amount(item, where)));
            }
        }
        return new LedgerTransaction
        {
            Chain = chain, TransactionId = txid, BlockHeight = height, BlockHash = blockHash, Position = position,
            Status = status, RawTransaction = raw, Postings = postings,
        };
    }

    public static LedgerStatus ParseStatus(string text, int depth, string where) => text.ToLowerInvariant() switch
    {
        "pending" => LedgerStatus.Pending,
        "confirmed" => LedgerStatus.Confirmed(depth),
        "final" => LedgerStatus.Final,
        "orphaned" => LedgerStatus.Orphaned,
        _ => throw new UsageException($"{where}: status '{text}' is not pending, confirmed, final or orphaned."),
    };

    /// <summary>A posting given on the command line as ACCOUNT:ASSET:AMOUNT (the amount may be negative).</summary>
    public static LedgerPosting ParsePosting(string text)
    {
        int last = text.LastIndexOf(':');
        int first = last > 0 ? text.LastIndexOf(':', last - 1) : -1;
        if (first <= 0 || last == text.Length - 1)
            throw new UsageException($"--posting '{text}' is not ACCOUNT:ASSET:AMOUNT.");
        return new LedgerPosting(text[..first], text[(first + 1)..last], ParseAmount(text[(last + 1)..], "--posting"));
    }

    public static Int128 ParseAmount(string text, string where)
        => Int128.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var amount)
            ? amount
            : throw new UsageException($"{where}: '{text}' is not an integer amount.");

    public static byte[] Hex(string text, string where)
    {
        try { return Convert.FromHexString(text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text[2..] : text); }
        catch (FormatException) { throw new UsageException($"{where} is not hex."); }
    }

    private static Int128 Amount(JsonElement posting, string where)
    {
        if (!posting.TryGetProperty("amount", out var a)) throw new UsageException($"{where}: a posting has no amount.");
        return a.ValueKind switch
        {
            JsonValueKind.String => ParseAmount(a.GetString()!, where),
            JsonValueKind.Number => ParseAmount(a.GetRawText(), where),
            _ => throw new UsageException($"{where}: amount is not a number or a string."),
        };
    }

    private static string RequiredString(JsonElement e, string name, string where)
        => OptionalString(e, name, where) ?? throw new UsageException($"{where}: '{name}' is missing.");

    private static string? OptionalString(JsonElement e, string name, string where)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.String ? v.GetString() : throw new UsageException($"{where}: '{name}' is not a string.");
    }
}
