using System.CommandLine;
using LatticeKV.Tool.Cli;
using LatticeKV.Tool.Crash;

namespace LatticeKV.Tool.Commands;

/// <summary><c>lkv transfer-child</c>: the transaction workload the crash tests kill (not meant for people).</summary>
public static class TransferChildCommand
{
    public static Command Create()
    {
        var db = new Argument<string>("db") { Description = "Database directory." };
        var seed = new Option<int>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 1 };
        var first = new Option<long>("--first-id") { Description = "Id of the first transfer.", DefaultValueFactory = _ => 1 };
        var threads = new Option<int>("--threads") { Description = "Transferring threads.", DefaultValueFactory = _ => 4 };
        var cmd = new Command("transfer-child", "Commit transfer transactions until killed, printing 'A id' per commit (used by crash tests).") { Hidden = true };
        cmd.Arguments.Add(db);
        foreach (var o in new Option[] { seed, first, threads }) cmd.Options.Add(o);
        cmd.SetAction(r => Guard.Run(() => TransferChild.Run(r.GetValue(db)!, r.GetValue(seed), Require.AtLeast(r.GetValue(first), 1, "--first-id"),
            Require.AtLeast(r.GetValue(threads), 1, "--threads"), Console.Out)));
        return cmd;
    }
}
