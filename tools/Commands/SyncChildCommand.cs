using System.CommandLine;
using LatticeKV.Tool.Cli;
using LatticeKV.Tool.Crash;

namespace LatticeKV.Tool.Commands;

/// <summary><c>lkv sync-child</c>: a replica process the multi-process sync tests drive and kill (not meant for people).</summary>
public static class SyncChildCommand
{
    public static Command Create()
    {
        var db = new Argument<string>("db") { Description = "Database directory." };
        var identity = new Option<string>("--identity") { Description = "NAME.key.pem.", Required = true };
        var port = new Option<int>("--port") { Description = "Port to serve sync on (0: any).", DefaultValueFactory = _ => 0 };
        var trust = new Option<string[]>("--trust") { Description = "Trusted peer ids.", AllowMultipleArgumentsPerToken = true };
        var seed = new Option<int>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 1 };
        var writes = new Option<int>("--writes") { Description = "Writes to make.", DefaultValueFactory = _ => 200 };
        var heartbeat = new Option<int>("--heartbeat-ms") { Description = "Sync heartbeat interval in ms (0: the engine's).", DefaultValueFactory = _ => 0 };
        var cmd = new Command("sync-child", "A replica driven on standard input (PEER, START, DIGEST, EXIT) for the sync tests.") { Hidden = true };
        cmd.Arguments.Add(db);
        foreach (var o in new Option[] { identity, port, trust, seed, writes, heartbeat }) cmd.Options.Add(o);
        cmd.SetAction(r => Guard.Run(() => SyncChild.Run(r.GetValue(db)!, r.GetValue(identity)!, r.GetValue(port), r.GetValue(trust) ?? [],
            r.GetValue(seed), Require.AtLeast(r.GetValue(writes), 0, "--writes"), Console.In, Console.Out, Require.AtLeast(r.GetValue(heartbeat), 0, "--heartbeat-ms"))));
        return cmd;
    }
}
