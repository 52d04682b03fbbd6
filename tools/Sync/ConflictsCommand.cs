using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LatticeKV.Tool.Cli;

namespace LatticeKV.Tool.Sync;

/// <summary><c>lkv conflicts DB</c>: every conflict sync settled here, oldest first, as JSON lines (which write won, which lost, the losing value).</summary>
public static class ConflictsCommand
{
    public static Command Create()
    {
        var db = Common.Db();
        var format = Common.Format();
        var cmd = new Command("conflicts", "Every conflict sync settled in this database, oldest first, as JSON lines: family, key, resolver, outcome, winner, loser and the losing value.");
        cmd.Arguments.Add(db);
        cmd.Options.Add(format);
        cmd.SetAction(r => Guard.Run(() =>
        {
            var f = r.GetValue(format);
            using var database = Common.OpenReadOnly(r.GetValue(db)!, r);
            foreach (var c in database.GetConflictHistory())
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
                {
                    ["time"] = c.Time.ToString("O", CultureInfo.InvariantCulture),
                    ["cf"] = c.ColumnFamily,
                    ["key"] = ByteText.Format(c.Key, f),
                    ["resolver"] = c.Resolver,
                    ["outcome"] = c.Outcome.ToString(),
                    ["winner"] = Version(c.Winner),
                    ["loser"] = Version(c.Loser),
                    ["loser_value"] = c.LoserValue is null ? null : ByteText.Format(c.LoserValue, f),
                }));
            }
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    private static Dictionary<string, object> Version(ChangeVersion v) => new()
    {
        ["origin"] = v.Origin.ToString("N"),
        ["origin_sequence"] = v.OriginSequence,
        ["time"] = v.Time.ToString("O", CultureInfo.InvariantCulture),
    };
}
