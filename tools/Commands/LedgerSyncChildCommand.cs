using System.CommandLine;
using LatticeKV.Tool.Cli;
using LatticeKV.Tool.Crash;

namespace LatticeKV.Tool.Commands;

/// <summary><c>lkv ledger-sync-child</c>: a ledger replica process the multi-process ledger sync tests drive and kill (not meant for people).</summary>
public static class LedgerSyncChildCommand
{
    public static Command Create()
    {
        var db = new Argument<string>("db") { Description = "Database directory." };
        var identity = new Option<string>("--identity") { Description = "NAME.key.pem.", Required = true };
        var port = new Option<int>("--port") { Description = "Port to serve sync on (0: any).", DefaultValueFactory = _ => 0 };
        var trust = new Option<string[]>("--trust") { Description = "Trusted peer ids.", AllowMultipleArgumentsPerToken = true };
        var cmd = new Command("ledger-sync-child", "A ledger replica driven on standard input (APPEND, BULK, WATCH, SYNC, STATE, EXIT) for the ledger sync tests.") { Hidden = true };
        cmd.Arguments.Add(db);
        foreach (var o in new Option[] { identity, port, trust }) cmd.Options.Add(o);
        cmd.SetAction(r => Guard.Run(() => LedgerSyncChild.Run(r.GetValue(db)!, r.GetValue(identity)!, r.GetValue(port), r.GetValue(trust) ?? [], Console.In, Console.Out)));
        return cmd;
    }
}
