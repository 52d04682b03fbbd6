using System.CommandLine;
using System.Text.Json;
using LatticeKV.Tool.Cli;

namespace LatticeKV.Tool.Sync;

/// <summary>
/// <c>lkv sync-status DB</c>: per peer this database has synced with, the changes waiting for it
/// (the offline queue) and their bytes, and how old the oldest is; JSON lines.
/// </summary>
public static class SyncStatusCommand
{
    public static Command Create()
    {
        var db = Common.Db();
        var cmd = new Command("sync-status", "Per peer: changes and bytes it has not acknowledged (the offline queue) and the oldest one's age, as JSON lines.");
        cmd.Arguments.Add(db);
        cmd.SetAction(r => Guard.Run(() =>
        {
            using var database = Common.OpenReadOnly(r.GetValue(db)!, r);
            foreach (var peer in database.GetSyncStatus())
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
                {
                    ["peer"] = peer.ReplicaId.ToString("N"),
                    ["pending_changes"] = peer.PendingChanges,
                    ["pending_bytes"] = peer.PendingBytes,
                    ["lag_seconds"] = Math.Round(peer.Lag.TotalSeconds, 3),
                    ["quarantined_changes"] = peer.QuarantinedChanges,
                }));
            }
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
