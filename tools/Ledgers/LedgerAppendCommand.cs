using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LatticeKV.Ledger;
using LatticeKV.Tool.Cli;

namespace LatticeKV.Tool.Ledgers;

/// <summary>
/// <c>lkv ledger append DB</c>: one transaction from options, or many from <c>--file</c> (JSON
/// lines or one JSON array, <c>-</c> for standard input; <see cref="LedgerJson"/>), appended in
/// batches of <c>--batch</c>, each one atomic write.
/// </summary>
public static class LedgerAppendCommand
{
    public static Command Create()
    {
        var db = Common.Db();
        var file = new Option<string?>("--file") { Description = "Transactions as JSON lines or a JSON array ('-': standard input)." };
        var chain = new Option<string?>("--chain") { Description = "The chain id." };
        var txid = new Option<string?>("--txid") { Description = "The transaction id." };
        var postings = new Option<string[]>("--posting") { Description = "ACCOUNT:ASSET:AMOUNT, repeatable (amounts in the asset's smallest unit, negative for a debit).", AllowMultipleArgumentsPerToken = false };
        var height = new Option<long?>("--height") { Description = "The block height (none: pending)." };
        var blockHash = new Option<string?>("--block-hash") { Description = "The block's hash." };
        var position = new Option<int>("--position") { Description = "The transaction's position in its block.", DefaultValueFactory = _ => 0 };
        var status = new Option<string?>("--status") { Description = "pending, confirmed, final or orphaned (default: confirmed with --height, else pending)." };
        var depth = new Option<int>("--depth") { Description = "Confirmations, for --status confirmed.", DefaultValueFactory = _ => 1 };
        var raw = new Option<string?>("--raw") { Description = "The raw transaction bytes, hex." };
        var batch = new Option<int>("--batch") { Description = "Transactions per atomic write with --file.", DefaultValueFactory = _ => 1000 };
        var json = Common.Json();
        var cmd = new Command("append", "Append transactions: their records, balance updates, index entries and Merkle leaves, each batch one atomic write.");
        cmd.Arguments.Add(db);
        foreach (var o in new Option[] { file, chain, txid, postings, height, blockHash, position, status, depth, raw, batch, json }) cmd.Options.Add(o);
        cmd.SetAction(r => LedgerCommand.Run(r, db, ledger =>
        {
            int perBatch = r.GetValue(batch);
            if (perBatch < 1) throw new UsageException("--batch must be at least 1.");
            long appended = 0;
            if (r.GetValue(file) is { } path)
            {
                if (r.GetValue(txid) is not null || r.GetValue(chain) is not null) throw new UsageException("--file cannot be combined with --chain or --txid.");
                var pending = new List<LedgerTransaction>(perBatch);
                foreach (var tx in Read(path))
                {
                    pending.Add(tx);
                    if (pending.Count < perBatch) continue;
                    ledger.AppendBatch(pending);
                    appended += pending.Count;
                    pending.Clear();
                }
                if (pending.Count > 0) ledger.AppendBatch(pending);
                appended += pending.Count;
            }
            else
            {
                string c = r.GetValue(chain) ?? throw new UsageException("--chain is required (or --file).");
                string id = r.GetValue(txid) ?? throw new UsageException("--txid is required (or --file).");
                long? h = r.GetValue(height);
                ledger.Append(new LedgerTransaction
                {
                    Chain = c,
                    TransactionId = id,
                    BlockHeight = h,
                    BlockHash = r.GetValue(blockHash),
                    Position = r.GetValue(position),
                    Status = LedgerJson.ParseStatus(r.GetValue(status) ?? (h is null ? "pending" : "confirmed"), r.GetValue(depth), "--status"),
                    RawTransaction = r.GetValue(raw) is { } hex ? LedgerJson.Hex(hex, "--raw") : [],
                    Postings = [.. (r.GetValue(postings) ?? []).Select(LedgerJson.ParsePosting)],
                });
                appended = 1;
            }
            if (r.GetValue(json))
            {
                Backups.BackupJson.Write(new Dictionary<string, object?>
                {
                    ["appended"] = appended,
                    ["tree_size"] = ledger.TreeSize,
                    ["root_hash"] = Convert.ToHexStringLower(ledger.RootHash),
                });
            }
            else
            {
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"appended {appended}; tree size {ledger.TreeSize}, root {Convert.ToHexStringLower(ledger.RootHash)}"));
            }
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    /// <summary>JSON lines, or one JSON array; every transaction checked as it is read.</summary>
    private static IEnumerable<LedgerTransaction> Read(string path)
    {
        using var reader = path == "-" ? new StreamReader(Console.OpenStandardInput()) : OpenFile(path);
        int line = 0;
        while (reader.ReadLine() is { } text)
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            if (line == 1 && text.TrimStart().StartsWith('['))
            {
                // One array: read the rest and parse it whole.
                string all = text + "\n" + reader.ReadToEnd();
                using var array = ParseDocument(all, path);
                if (array.RootElement.ValueKind != JsonValueKind.Array) throw new UsageException($"{path}: not a JSON array.");
                int i = 0;
                foreach (var e in array.RootElement.EnumerateArray()) yield return LedgerJson.Parse(e, $"{path}[{i++}]");
                yield break;
            }
            using var doc = ParseDocument(text, $"{path}:{line}");
            yield return LedgerJson.Parse(doc.RootElement, $"{path}:{line}");
        }
    }

    private static StreamReader OpenFile(string path)
    {
        if (!File.Exists(path)) throw new ExitException($"no file at '{path}'.", ExitCodes.DbNotFound);
        return new StreamReader(path);
    }

    private static JsonDocument ParseDocument(string text, string where)
    {
        try { return JsonDocument.Parse(text); }
        catch (JsonException ex) { throw new UsageException($"{where}: not JSON ({ex.Message})."); }
    }
}
