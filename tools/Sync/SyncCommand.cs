using System.CommandLine;
using System.Globalization;
using LatticeKV.Tool.Cli;

namespace LatticeKV.Tool.Sync;

/// <summary><c>lkv sync DB --peer HOST:PORT --peer-id ID --identity KEY.pem</c>: one sync round with a peer (pull what it has, push what it lacks).</summary>
public static class SyncCommand
{
    public static Command Create()
    {
        var db = Common.Db();
        var peer = new Option<string>("--peer") { Description = "The peer, HOST:PORT (or HOST:PORT@PEERID).", Required = true };
        var peerId = new Option<string?>("--peer-id") { Description = "The peer's id, which its certificate must match." };
        var identity = SyncOptions.Identity();
        var timeout = new Option<int>("--timeout") { Description = "Give up after this many seconds.", DefaultValueFactory = _ => 600 };
        var cmd = new Command("sync", "One sync round with a peer: receive its changes this database lacks, send this database's it lacks.");
        cmd.Arguments.Add(db);
        foreach (var o in new Option[] { peer, peerId, identity, timeout }) cmd.Options.Add(o);
        cmd.SetAction(r => Guard.Run(() =>
        {
            var target = SyncOptions.Peer(r.GetValue(peer)!, r.GetValue(peerId));
            using var database = SyncOptions.Open(r.GetValue(db)!, r, r.GetValue(identity)!);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(Require.AtLeast(r.GetValue(timeout), 1, "--timeout")));
            var result = database.SyncWith(target, cts.Token).GetAwaiter().GetResult();
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"received {result.ChangesReceived} changes, sent {result.ChangesSent}, {result.Conflicts} conflicts settled"));
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
