using System.CommandLine;
using LatticeKV.Tool.Cli;
using LatticeKV.Tool.Crash;

namespace LatticeKV.Tool.Commands;

/// <summary><c>lkv changes-child</c>: the replicated workload and change-feed consumer the crash tests kill (not meant for people).</summary>
public static class ChangesChildCommand
{
    public static Command Create()
    {
        var db = new Argument<string>("db") { Description = "Database directory." };
        var seed = new Option<int>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 1 };
        var first = new Option<long>("--first-id") { Description = "Id of the first batch.", DefaultValueFactory = _ => 1 };
        var since = new Option<ulong>("--since") { Description = "Position the consumer resumes after.", DefaultValueFactory = _ => 0 };
        var cmd = new Command("changes-child", "Write replicated batches ('A id') and consume the change feed ('C position') until killed (used by crash tests).") { Hidden = true };
        cmd.Arguments.Add(db);
        foreach (var o in new Option[] { seed, first, since }) cmd.Options.Add(o);
        cmd.SetAction(r => Guard.Run(() => ChangeFeedChild.Run(r.GetValue(db)!, r.GetValue(seed), Require.AtLeast(r.GetValue(first), 1, "--first-id"),
            r.GetValue(since), Console.Out)));
        return cmd;
    }
}
