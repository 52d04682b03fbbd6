using System.CommandLine;
using LatticeKV.Tool.Cli;
using LatticeKV.Tool.Crash;

namespace LatticeKV.Tool.Commands;

/// <summary><c>lkv crash-child</c>: the workload process the crash tests kill (not meant for people).</summary>
public static class CrashChildCommand
{
    public static Command Create()
    {
        var db = new Argument<string>("db") { Description = "Database directory." };
        var seed = new Option<int>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 1 };
        var first = new Option<long>("--first-batch") { Description = "Id of the first batch.", DefaultValueFactory = _ => 1 };
        var groups = new Option<int>("--groups") { Description = "Key groups.", DefaultValueFactory = _ => 400 };
        var threads = new Option<int>("--threads") { Description = "Writer threads.", DefaultValueFactory = _ => 4 };
        var cfs = new Option<int>("--column-families") { Description = "Column families to spread groups over.", DefaultValueFactory = _ => 3 };
        var sync = new Option<bool>("--sync") { Description = "Write with Sync = true." };
        var largeLog = new Option<bool>("--large-log") { Description = "A large write buffer and no explicit flushes: the log grows for the next open to replay." };
        var keyFile = new Option<string?>("--key-file") { Description = "A file holding the 32-byte master key: the database is encrypted, every column family sealed." };
        var cmd = new Command("crash-child", "Write whole-group batches until killed, printing O/P/D/R/A lines (used by crash tests).") { Hidden = true };
        cmd.Arguments.Add(db);
        foreach (var o in new Option[] { seed, first, groups, threads, cfs, sync, largeLog, keyFile }) cmd.Options.Add(o);
        cmd.SetAction(r => Guard.Run(() =>
        {
            int writers = Require.AtLeast(r.GetValue(threads), 1, "--threads");
            var encryption = r.GetValue(keyFile) is { } file ? EncryptionOptions.FromKey(File.ReadAllBytes(file)) : null;
            return CrashChild.Run(r.GetValue(db)!, r.GetValue(seed), Require.AtLeast(r.GetValue(first), 1, "--first-batch"),
                Require.AtLeast(r.GetValue(groups), writers, "--groups"), writers, // each writer owns its groups
                Require.AtLeast(r.GetValue(cfs), 1, "--column-families"), r.GetValue(sync), r.GetValue(largeLog), encryption, Console.Out);
        }));
        return cmd;
    }
}
