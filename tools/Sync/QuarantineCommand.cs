using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LatticeKV.Tool.Cli;

namespace LatticeKV.Tool.Sync;

/// <summary>
/// <c>lkv quarantine DB</c>: the changes peers sent that a validator refused, as JSON lines
/// (who sent it, its version, family, key, operation, value, reason); <c>--discard ID</c>
/// forgets one.
/// </summary>
public static class QuarantineCommand
{
    public static Command Create()
    {
        var db = Common.Db();
        var format = Common.Format();
        var discard = new Option<string[]>("--discard") { Description = "Forget the quarantined change with this id (repeatable); nothing is listed.", AllowMultipleArgumentsPerToken = true };
        var cmd = new Command("quarantine", "The changes peers sent that a column family's validator refused (kept, never applied), as JSON lines: id, peer, version, family, key, operation, value and reason.");
        cmd.Arguments.Add(db);
        cmd.Options.Add(format);
        cmd.Options.Add(discard);
        cmd.SetAction(r => Guard.Run(() =>
        {
            var ids = r.GetValue(discard) ?? [];
            if (ids.Length > 0)
            {
                using var writable = Common.Open(r.GetValue(db)!, r);
                int missing = 0;
                foreach (var id in ids)
                {
                    if (writable.DiscardQuarantinedChange(id)) continue;
                    Console.Error.WriteLine($"lkv: no quarantined change {id}");
                    missing++;
                }
                return missing == 0 ? ExitCodes.Ok : ExitCodes.NotFound;
            }
            var f = r.GetValue(format);
            using var database = Common.OpenReadOnly(r.GetValue(db)!, r);
            foreach (var c in database.GetQuarantinedChanges())
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
                {
                    ["id"] = c.Id,
                    ["quarantined_at"] = c.QuarantinedAt.ToString("O", CultureInfo.InvariantCulture),
                    ["peer"] = c.Peer.ToString("N"),
                    ["origin"] = c.Version.Origin.ToString("N"),
                    ["origin_sequence"] = c.Version.OriginSequence,
                    ["time"] = c.Version.Time.ToString("O", CultureInfo.InvariantCulture),
                    ["cf"] = c.ColumnFamily,
                    ["key"] = ByteText.Format(c.Key, f),
                    ["operation"] = c.Operation.ToString(),
                    ["value"] = c.Value is null ? null : ByteText.Format(c.Value, f),
                    ["reason"] = c.Reason,
                }));
            }
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
