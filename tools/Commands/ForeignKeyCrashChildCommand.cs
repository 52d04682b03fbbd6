using System.CommandLine;
using LatticeKV.Tool.Cli;
using LatticeKV.Tool.Crash;

namespace LatticeKV.Tool.Commands;

/// <summary><c>lkv fk-crash-child</c>: the foreign key workload process the crash tests kill (not meant for people).</summary>
public static class ForeignKeyCrashChildCommand
{
    public static Command Create()
    {
        var db = new Argument<string>("db") { Description = "Database directory." };
        var seed = new Option<int>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 1 };
        var threads = new Option<int>("--threads") { Description = "Writer threads.", DefaultValueFactory = _ => 4 };
        var cmd = new Command("fk-crash-child", "Insert, delete and cascade through foreign keys until killed, printing 'I thread op' and 'A thread ok|refused' lines (used by crash tests).") { Hidden = true };
        cmd.Arguments.Add(db);
        cmd.Options.Add(seed);
        cmd.Options.Add(threads);
        cmd.SetAction(r => Guard.Run(() => ForeignKeyCrashChild.Run(r.GetValue(db)!, r.GetValue(seed), Require.AtLeast(r.GetValue(threads), 1, "--threads"), Console.Out)));
        return cmd;
    }
}
