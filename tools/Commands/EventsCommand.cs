using System.CommandLine;
using System.Globalization;
using LatticeKV.Events;
using LatticeKV.Io;
using LatticeKV.Tool.Cli;
using Spectre.Console;

namespace LatticeKV.Tool.Commands;

/// <summary>
/// <c>lkv events DB</c>: prints the database's event file (FORMAT.md, "EVENTS") as a table or
/// JSON lines; <c>--follow</c> keeps printing what is appended. Reads the file only, without
/// opening the database, so it works beside the process that has it open.
/// </summary>
public static class EventsCommand
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    public static Command Create()
    {
        var db = Common.Db();
        var json = Common.Json();
        var follow = new Option<bool>("--follow") { Description = "Keep printing events as they are appended (Ctrl+C ends)." };
        var kinds = new Option<string[]>("--kind") { Description = "Only events of this kind (FlushCompleted, WriteStallBegun, AlertFired, ...); may repeat.", AllowMultipleArgumentsPerToken = true };
        var since = new Option<string?>("--since") { Description = "Only events at or after this time (ISO 8601, or an age such as 15m, 2h, 1d)." };
        var tail = new Option<int?>("--tail") { Description = "Only the last N events (before following)." };
        var timeout = new Option<double?>("--timeout") { Description = "With --follow: stop after this many seconds." };
        var count = new Option<int?>("--count") { Description = "With --follow: stop after printing this many events." };
        var cmd = new Command("events", "Print the database's event log (flushes, compactions, stalls, errors, alerts).");
        cmd.Arguments.Add(db);
        foreach (var o in new Option[] { json, follow, kinds, since, tail, timeout, count }) cmd.Options.Add(o);
        cmd.SetAction(r => Guard.Run(() =>
        {
            string path = Path.GetFullPath(r.GetValue(db)!);
            if (!Directory.Exists(path)) throw new ExitException($"'{path}' is not a directory.", ExitCodes.DbNotFound);
            var filter = new Filter(r.GetValue(kinds) ?? [], ParseSince(r.GetValue(since)));
            var reader = new EventFileReader(RealFileSystem.Instance, path);
            var first = reader.Poll().Where(filter.Matches).ToList();
            if (r.GetValue(tail) is { } n) first = first.TakeLast(Math.Max(0, n)).ToList();
            bool asJson = r.GetValue(json);
            int printed = Print(first, asJson, table: !r.GetValue(follow));
            if (!r.GetValue(follow)) return ExitCodes.Ok;
            using var cancel = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) =>
            {
                e.Cancel = true;
                cancel.Cancel();
            };
            if (r.GetValue(timeout) is { } seconds) cancel.CancelAfter(TimeSpan.FromSeconds(seconds));
            int? limit = r.GetValue(count);
            while (!cancel.IsCancellationRequested && (limit is null || printed < limit))
            {
                var next = reader.Poll().Where(filter.Matches).ToList();
                if (limit is { } l) next = next.Take(l - printed).ToList();
                printed += Print(next, asJson, table: false);
                if (next.Count == 0) cancel.Token.WaitHandle.WaitOne(PollInterval);
            }
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    private sealed record Filter(string[] Kinds, DateTimeOffset? Since)
    {
        public bool Matches(EventRecord e)
            => (Kinds.Length == 0 || Kinds.Any(k => string.Equals(k, e.Kind, StringComparison.OrdinalIgnoreCase))) && (Since is null || e.Time >= Since);
    }

    private static DateTimeOffset? ParseSince(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (text.Length > 1 && char.IsAsciiLetter(text[^1]) && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out double amount))
        {
            var age = char.ToLowerInvariant(text[^1]) switch
            {
                's' => TimeSpan.FromSeconds(amount),
                'm' => TimeSpan.FromMinutes(amount),
                'h' => TimeSpan.FromHours(amount),
                'd' => TimeSpan.FromDays(amount),
                _ => throw new ExitException($"--since '{text}': use s, m, h or d after an age.", ExitCodes.Usage),
            };
            return DateTimeOffset.UtcNow - age;
        }
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)) return time;
        throw new ExitException($"--since '{text}' is neither a time (ISO 8601) nor an age (15m, 2h, 1d).", ExitCodes.Usage);
    }

    private static int Print(List<EventRecord> events, bool json, bool table)
    {
        if (json)
        {
            foreach (var e in events) Console.Out.WriteLine(e.Line);
            Console.Out.Flush();
            return events.Count;
        }
        if (table)
        {
            var grid = new Table().AddColumn("time").AddColumn("level").AddColumn("kind").AddColumn("details");
            foreach (var e in events) grid.AddRow(Markup.Escape(Time(e)), Markup.Escape(e.Level), Markup.Escape(e.Kind), Markup.Escape(e.FieldsText()));
            Terminal.Out.Write(grid);
            Terminal.Out.WriteLine($"{events.Count} event(s)");
            return events.Count;
        }
        foreach (var e in events) Console.Out.WriteLine($"{Time(e)}  {e.Level,-11} {e.Kind,-20} {e.FieldsText()}");
        Console.Out.Flush();
        return events.Count;
    }

    private static string Time(EventRecord e) => e.Time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture);
}
