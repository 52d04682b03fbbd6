using System.CommandLine;
using System.Globalization;
using LatticeKV.Tool.Cli;

namespace LatticeKV.Tool.Sync;

/// <summary>
/// <c>lkv serve DB --listen HOST:PORT --identity KEY.pem --trust ID... [--peer HOST:PORT@ID...]</c>:
/// holds the database open, accepts sync sessions from trusted peers, and keeps in sync with the
/// given peers (a sync agent), until interrupted (Ctrl+C or SIGTERM). Prints "listening on
/// HOST:PORT" once it accepts.
/// </summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var db = Common.Db();
        var listen = new Option<string>("--listen") { Description = "HOST:PORT to accept sync sessions on (port 0: any free port, printed).", DefaultValueFactory = _ => "127.0.0.1:0" };
        var identity = SyncOptions.Identity();
        var trust = SyncOptions.Trust();
        var peers = new Option<string[]>("--peer") { Description = "A peer to keep in sync with, HOST:PORT@PEERID (repeat for each).", AllowMultipleArgumentsPerToken = true };
        var cmd = new Command("serve", "Serve the database to sync peers and keep it in sync with the peers given, until interrupted.");
        cmd.Arguments.Add(db);
        foreach (var o in new Option[] { listen, identity, trust, peers }) cmd.Options.Add(o);
        cmd.SetAction(r => Guard.Run(() =>
        {
            var (host, port) = ParseListen(r.GetValue(listen)!);
            var agentPeers = (r.GetValue(peers) ?? []).Select(p => SyncOptions.Peer(p)).ToList();
            using var database = SyncOptions.Open(r.GetValue(db)!, r, r.GetValue(identity)!);
            var serverOptions = new SyncServerOptions { Host = host, Port = port };
            foreach (var id in r.GetValue(trust) ?? []) serverOptions.TrustedPeerIds.Add(id);
            foreach (var p in agentPeers) serverOptions.TrustedPeerIds.Add(p.PeerId);
            using var stop = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) =>
            {
                e.Cancel = true;
                stop.Cancel();
            };
            using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c =>
            {
                c.Cancel = true;
                stop.Cancel();
            });
            var server = database.StartSyncServer(serverOptions);
            SyncAgent? agent = null;
            try
            {
                if (agentPeers.Count > 0)
                {
                    var agentOptions = new SyncAgentOptions();
                    foreach (var p in agentPeers) agentOptions.Peers.Add(p);
                    agent = database.StartSyncAgent(agentOptions);
                }
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"listening on {host}:{server.Port} as {database.ReplicaId:N}"));
                Console.Out.Flush();
                stop.Token.WaitHandle.WaitOne();
            }
            finally
            {
                agent?.Dispose();
                server.Dispose();
            }
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    private static (string Host, int Port) ParseListen(string text)
    {
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535)
            throw new UsageException($"--listen '{text}' is not HOST:PORT.");
        return (text[..colon], port);
    }
}
