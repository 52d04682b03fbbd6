using System.CommandLine;
using System.Globalization;
using LatticeKV.Ledger;
using LatticeKV.Tool.Cli;

namespace LatticeKV.Tool.Ledgers;

/// <summary><c>lkv ledger balance|history|checkpoint</c>: what the ledger holds, read only.</summary>
public static class LedgerReadCommands
{
    /// <summary><c>lkv ledger balance DB --chain C --account A --asset X</c>.</summary>
    public static Command Balance()
    {
        var db = Common.Db();
        var chain = LedgerCommand.Chain();
        var account = new Option<string>("--account") { Description = "The account.", Required = true };
        var asset = new Option<string>("--asset") { Description = "The asset (for example BTC).", Required = true };
        var json = Common.Json();
        var cmd = new Command("balance", "An account's balance in an asset: the sum of its postings in every transaction not orphaned.");
        cmd.Arguments.Add(db);
        foreach (var o in new Option[] { chain, account, asset, json }) cmd.Options.Add(o);
        cmd.SetAction(r => LedgerCommand.Run(r, db, ledger =>
        {
            var balance = ledger.GetBalance(r.GetValue(chain)!, r.GetValue(account)!, r.GetValue(asset)!);
            string text = balance.ToString(CultureInfo.InvariantCulture);
            if (r.GetValue(json))
            {
                Backups.BackupJson.Write(new Dictionary<string, object?>
                {
                    ["chain"] = r.GetValue(chain), ["account"] = r.GetValue(account), ["asset"] = r.GetValue(asset), ["balance"] = text,
                });
            }
            else
            {
                Console.Out.WriteLine(text);
            }
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    /// <summary><c>lkv ledger history DB --chain C [--account A] [--newest-first] [--limit N]</c>: JSON lines.</summary>
    public static Command History()
    {
        var db = Common.Db();
        var chain = LedgerCommand.Chain();
        var account = new Option<string?>("--account") { Description = "Only transactions with a posting of this account." };
        var newest = new Option<bool>("--newest-first") { Description = "From the chain's tip down (pending ones first)." };
        var orphaned = new Option<bool>("--include-orphaned") { Description = "Also orphaned transactions." };
        var limit = new Option<int>("--limit", "-n") { Description = "At most this many (0: all).", DefaultValueFactory = _ => 0 };
        var cmd = new Command("history", "Transactions in the chain's order (height, position), one JSON object per line.");
        cmd.Arguments.Add(db);
        foreach (var o in new Option[] { chain, account, newest, orphaned, limit }) cmd.Options.Add(o);
        cmd.SetAction(r => LedgerCommand.Run(r, db, ledger =>
        {
            int max = r.GetValue(limit);
            if (max < 0) throw new UsageException("--limit must not be negative.");
            long left = max == 0 ? long.MaxValue : max;
            string? continuation = null;
            using var stdout = Console.OpenStandardOutput();
            do
            {
                var query = new LedgerQuery
                {
                    NewestFirst = r.GetValue(newest),
                    IncludeOrphaned = r.GetValue(orphaned),
                    Limit = (int)Math.Min(left, 1000),
                    Continuation = continuation,
                };
                var page = r.GetValue(account) is { } a ? ledger.GetAccountHistory(r.GetValue(chain)!, a, query) : ledger.GetTransactions(r.GetValue(chain)!, query);
                foreach (var tx in page.Transactions)
                {
                    System.Text.Json.JsonSerializer.Serialize(stdout, LedgerJson.ToJson(tx));
                    stdout.WriteByte((byte)'\n');
                }
                left -= page.Transactions.Count;
                continuation = page.Continuation;
            }
            while (continuation is not null && left > 0);
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    /// <summary><c>lkv ledger checkpoint DB [--json]</c>: a signed checkpoint of the Merkle log as it stands.</summary>
    public static Command Checkpoint()
    {
        var db = Common.Db();
        var json = Common.Json();
        var cmd = new Command("checkpoint", "Sign and store a checkpoint of the ledger's Merkle log (tree size, root hash, time; ECDSA P-256) and print it as a signed note.");
        cmd.Arguments.Add(db);
        cmd.Options.Add(json);
        cmd.SetAction(r => LedgerCommand.Run(r, db, ledger =>
        {
            var checkpoint = ledger.GetCheckpoint();
            if (r.GetValue(json))
            {
                Backups.BackupJson.Write(new Dictionary<string, object?>
                {
                    ["origin"] = checkpoint.Origin,
                    ["tree_size"] = checkpoint.TreeSize,
                    ["root_hash"] = Convert.ToHexStringLower(checkpoint.RootHash),
                    ["timestamp"] = checkpoint.Timestamp.ToString("O", CultureInfo.InvariantCulture),
                    ["key_name"] = checkpoint.KeyName,
                    ["public_key"] = Convert.ToBase64String(ledger.PublicKey),
                    ["note"] = checkpoint.ToString(),
                });
            }
            else
            {
                Console.Out.Write(checkpoint.ToString());
            }
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
