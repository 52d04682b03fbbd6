using System.CommandLine;
using System.Text.Json;
using LatticeKV.Tool.Cli;

namespace LatticeKV.Tool.Replication;

/// <summary>
/// <c>lkv changes DB --since N [--follow]</c>: the change log of the database's replicated
/// families after position N, one JSON object per line. With <c>--follow</c> it keeps reading:
/// it reopens the database read-only every 200 ms while no other process holds it (a writer
/// excludes readers), so it tails writes made by commands and applications that open and close
/// the database, until interrupted.
/// </summary>
public static class ChangesCommand
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    public static Command Create()
    {
        var db = Common.Db();
        var since = new Option<ulong>("--since") { Description = "Print changes after this position (0: from the beginning).", DefaultValueFactory = _ => 0 };
        var follow = new Option<bool>("--follow") { Description = "Keep printing changes as they are committed, until interrupted." };
        var limit = new Option<long>("--limit", "-n") { Description = "At most this many changes (0: all).", DefaultValueFactory = _ => 0 };
        var format = Common.Format();
        var cmd = new Command("changes", "Print the change log of replicated column families as JSON lines (position, origin, origin_sequence, timestamp, time, cf, op, key, value).");
        cmd.Arguments.Add(db);
        foreach (var o in new Option[] { since, follow, limit, format }) cmd.Options.Add(o);
        cmd.SetAction(r => Guard.Run(() =>
        {
            var f = r.GetValue(format);
            long max = r.GetValue(limit) is > 0 and var n ? n : long.MaxValue;
            var cursor = new ChangeCursor(r.GetValue(since));
            using var stop = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) =>
            {
                e.Cancel = true;
                stop.Cancel();
            };
            long printed = 0;
            using var stdout = Console.OpenStandardOutput();
            using var json = new Utf8JsonWriter(stdout);
            while (true)
            {
                try
                {
                    using var database = Common.OpenReadOnly(r.GetValue(db)!, r);
                    foreach (var change in database.GetChanges(cursor))
                    {
                        if (printed == max) return ExitCodes.Ok;
                        Write(json, change, f);
                        stdout.WriteByte((byte)'\n');
                        cursor = change.Cursor;
                        printed++;
                    }
                    stdout.Flush();
                }
                catch (DbLockedException) when (r.GetValue(follow))
                {
                    // A writer has it open: try again after the interval.
                }
                if (!r.GetValue(follow) || stop.IsCancellationRequested) return ExitCodes.Ok;
                if (stop.Token.WaitHandle.WaitOne(PollInterval)) return ExitCodes.Ok;
            }
        }));
        return cmd;
    }

    private static void Write(Utf8JsonWriter json, Change change, ByteFormat format)
    {
        json.Reset();
        json.WriteStartObject();
        json.WriteNumber("position", change.Position);
        json.WriteString("origin", change.Origin.ToString("N"));
        json.WriteNumber("origin_sequence", change.OriginSequence);
        json.WriteNumber("timestamp", change.Timestamp);
        json.WriteString("time", change.Time.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        if (change.ColumnFamily is null) json.WriteNull("cf");
        else json.WriteString("cf", change.ColumnFamily);
        json.WriteString("op", change.Operation switch { ChangeOperation.Put => "put", ChangeOperation.Delete => "delete", _ => "merge" });
        json.WriteString("key", ByteText.Format(change.Key, format));
        if (change.Value is null) json.WriteNull("value");
        else json.WriteString("value", ByteText.Format(change.Value, format));
        json.WriteEndObject();
        json.Flush();
    }
}
