using System.CommandLine;
using LatticeKV.Tool.Cli;
using LatticeKV.Tool.Crash;

namespace LatticeKV.Tool.Commands;

/// <summary><c>lkv ledger-crash-child</c>: the ledger workload process the crash tests kill (not meant for people).</summary>
public static class LedgerCrashChildCommand
{
    public static Command Create()
    {
        var db = new Argument<string>("db") { Description = "Database directory." };
        var run = new Option<int>("--run") { Description = "Run number: makes this run's transaction ids.", DefaultValueFactory = _ => 1 };
        var threads = new Option<int>("--threads") { Description = "Appender threads.", DefaultValueFactory = _ => 4 };
        var cmd = new Command("ledger-crash-child", "Append ledger transactions, advance the tip and reorganise until killed, printing 'A txid', 'T height' and 'R fork' lines (used by crash tests).") { Hidden = true };
        cmd.Arguments.Add(db);
        cmd.Options.Add(run);
        cmd.Options.Add(threads);
        cmd.SetAction(r => Guard.Run(() => LedgerCrashChild.Run(r.GetValue(db)!, r.GetValue(run), Require.AtLeast(r.GetValue(threads), 1, "--threads"), Console.Out)));
        return cmd;
    }
}
