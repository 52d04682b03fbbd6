using System.CommandLine;
using System.Globalization;
using LatticeKV.Tool.Cli;

namespace LatticeKV.Tool.Ledgers;

/// <summary>
/// <c>lkv ledger verify DB [--json]</c>: balances recomputed from the transactions, index entries,
/// the Merkle log rehashed from the stored records, the stored checkpoints and the stored network
/// evidence (<c>Ledger.Verify</c>); exit code <see cref="ExitCodes.VerifyLedgerInconsistent"/> on
/// any difference.
/// </summary>
public static class LedgerVerifyCommand
{
    public static Command Create()
    {
        var db = Common.Db();
        var json = Common.Json();
        var max = new Option<int>("--max-problems") { Description = "List at most this many problems.", DefaultValueFactory = _ => 1000 };
        var cmd = new Command("verify", "Check the ledger: balances against the transactions, indexes, the Merkle log, stored checkpoints and network evidence. Exit code 18 on any difference.");
        cmd.Arguments.Add(db);
        cmd.Options.Add(json);
        cmd.Options.Add(max);
        cmd.SetAction(r => LedgerCommand.Run(r, db, ledger =>
        {
            var report = ledger.Verify(Math.Max(0, r.GetValue(max)));
            if (r.GetValue(json))
            {
                Backups.BackupJson.Write(new Dictionary<string, object?>
                {
                    ["consistent"] = report.IsConsistent,
                    ["transactions_checked"] = report.TransactionsChecked,
                    ["balances_checked"] = report.BalancesChecked,
                    ["leaves_checked"] = report.LeavesChecked,
                    ["tree_size"] = ledger.TreeSize,
                    ["root_hash"] = Convert.ToHexStringLower(ledger.RootHash),
                    ["balance_differences"] = report.BalanceDifferences.Select(d => new Dictionary<string, object?>
                    {
                        ["chain"] = d.Chain, ["account"] = d.Account, ["asset"] = d.Asset,
                        ["stored"] = d.Stored?.ToString(CultureInfo.InvariantCulture), ["expected"] = d.Expected.ToString(CultureInfo.InvariantCulture),
                    }).ToList(),
                    ["problems"] = report.Problems.Select(p => new Dictionary<string, object?>
                    {
                        ["chain"] = p.Chain, ["txid"] = p.TransactionId, ["problem"] = p.Description,
                    }).ToList(),
                });
            }
            else
            {
                foreach (var d in report.BalanceDifferences)
                    Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"balance {d.Chain}/{d.Account}/{d.Asset}: stored {d.Stored}, transactions give {d.Expected}"));
                foreach (var p in report.Problems)
                    Console.Out.WriteLine(p.Chain is null ? p.Description : $"{p.Chain}/{p.TransactionId}: {p.Description}");
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{(report.IsConsistent ? "ok" : "INCONSISTENT")}: {report.TransactionsChecked:N0} transactions, {report.BalancesChecked:N0} balances, {report.LeavesChecked:N0} Merkle leaves checked"));
            }
            return report.IsConsistent ? ExitCodes.Ok : ExitCodes.VerifyLedgerInconsistent;
        }));
        return cmd;
    }
}
