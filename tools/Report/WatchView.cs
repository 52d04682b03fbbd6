using System.Globalization;
using LatticeKV.Io;
using LatticeKV.Monitoring;
using LatticeKV.Tool.Cli;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace LatticeKV.Tool.Report;

/// <summary>
/// <c>lkv stats DB --watch</c>: a live dashboard of a database open in another process, read from
/// the <c>LIVE-STATS</c> file it rewrites (<see cref="DbOptions.LiveStatsInterval"/>): rates from
/// successive snapshots, sizes, latencies and alerts. Reads only; never opens the database.
/// </summary>
public static class WatchView
{
    /// <summary>A snapshot older than this many of its intervals (and at least <see cref="MinStale"/>) is from a process that is gone.</summary>
    private const int StaleIntervals = 3;
    private static readonly TimeSpan MinStale = TimeSpan.FromSeconds(5);

    private static readonly (string Label, string Counter)[] Rates =
    [
        ("writes/s", "write.keys"), ("reads/s", "get.calls"), ("written bytes/s", "write.bytes"),
        ("flushed bytes/s", "flush.bytes"), ("compaction bytes/s", "compaction.bytes.written"), ("write stalls/s", "write.stalls"),
    ];

    private static readonly (string Label, string Property)[] FamilyColumns =
    [
        ("Tables", "lattice.total-sst-files-size"), ("Memtables", "lattice.cur-size-all-mem-tables"), ("Immutable", "lattice.num-immutable-mem-table"),
        ("Pending compaction", "lattice.estimate-pending-compaction-bytes"), ("Keys (est.)", "lattice.estimate-num-keys"),
    ];

    public static int Run(string path, TimeSpan interval, int count)
    {
        string full = Path.GetFullPath(path);
        if (!Directory.Exists(full)) throw new PathNotFoundException(full);
        var first = ReadFresh(full);
        var frames = new List<LiveStats> { first };
        bool closed = false;
        IRenderable Next(int frame)
        {
            if (frame > 0)
            {
                Thread.Sleep(interval); // the tool's own pacing between frames
                var s = LiveStatsFile.TryRead(RealFileSystem.Instance, full);
                if (s is null) closed = true;
                else frames.Add(s);
            }
            return Frame(full, frames.Count > 1 ? frames[^2] : null, frames[^1], closed);
        }
        var console = Terminal.Out;
        if (Console.IsOutputRedirected)
        {
            for (int i = 0; (count == 0 || i < count) && !closed; i++) console.Write(Next(i));
        }
        else
        {
            console.Live(Frame(full, null, first, false)).Start(ctx =>
            {
                for (int i = 0; (count == 0 || i < count) && !closed; i++)
                {
                    ctx.UpdateTarget(Next(i));
                    ctx.Refresh();
                }
            });
        }
        return closed ? ExitCodes.NotFound : ExitCodes.Ok;
    }

    /// <summary>The snapshot, or a clear refusal when there is none or it is stale.</summary>
    private static LiveStats ReadFresh(string full)
    {
        var stats = LiveStatsFile.TryRead(RealFileSystem.Instance, full)
            ?? throw new ExitException($"'{full}' has no live statistics ({LiveStatsFile.FileName}): the database is not open in any process, "
                + "or it was opened read-only or with DbOptions.LiveStatsInterval off. --watch shows a database while a process has it open; "
                + "use 'lkv stats' or 'lkv stats --history' for a closed one.", ExitCodes.NotFound);
        var age = DateTimeOffset.UtcNow - DateTimeOffset.FromUnixTimeMilliseconds(stats.TimeMs);
        var limit = TimeSpan.FromMilliseconds(Math.Max(MinStale.TotalMilliseconds, StaleIntervals * stats.IntervalMs));
        if (age > limit)
        {
            throw new ExitException($"'{full}' has only stale live statistics: last written {age.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s ago by process {stats.ProcessId} "
                + "(it rewrites them every " + (stats.IntervalMs / 1000.0).ToString("0.#", CultureInfo.InvariantCulture) + " s). The process that had the database open is gone or stuck.", ExitCodes.NotFound);
        }
        return stats;
    }

    private static IRenderable Frame(string path, LiveStats? before, LiveStats now, bool closed)
    {
        var time = DateTimeOffset.FromUnixTimeMilliseconds(now.TimeMs).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        var header = new Markup($"[bold]LatticeKV[/] [blue]{Markup.Escape(path)}[/]  process {now.ProcessId}  snapshot {time} UTC"
            + (closed ? "  [red]the database was closed[/]" : ""));

        var rates = new Table().Title("Activity").AddColumns("Rate", "Value", "Total");
        rates.Columns[1].RightAligned();
        rates.Columns[2].RightAligned();
        double seconds = before is null ? 0 : (now.TimeMs - before.TimeMs) / 1000.0;
        foreach (var (label, counter) in Rates)
        {
            long total = now.Counters.GetValueOrDefault(counter);
            string rate = before is null || seconds <= 0 ? "-" : ((total - before.Counters.GetValueOrDefault(counter)) / seconds).ToString("N1", CultureInfo.InvariantCulture);
            rates.AddRow(label, rate, total.ToString("N0", CultureInfo.InvariantCulture));
        }

        var sizes = new Table().Title("Sizes").AddColumn("Column family");
        foreach (var (label, _) in FamilyColumns) sizes.AddColumn(new TableColumn(label).RightAligned());
        foreach (var (family, props) in now.Families.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            var cells = new List<string> { Markup.Escape(family) };
            foreach (var (_, property) in FamilyColumns)
            {
                long v = props.GetValueOrDefault(property);
                cells.Add(property.EndsWith("size", StringComparison.Ordinal) || property.EndsWith("bytes", StringComparison.Ordinal) || property.EndsWith("tables", StringComparison.Ordinal)
                    ? Sizes.Format(v) : v.ToString("N0", CultureInfo.InvariantCulture));
            }
            sizes.AddRow([.. cells]);
        }

        var latencies = now.Extra.Where(e => e.Key.StartsWith("latency.", StringComparison.Ordinal)).OrderBy(e => e.Key, StringComparer.Ordinal).ToList();
        IRenderable latency = latencies.Count == 0
            ? new Markup("[grey]Latencies: none published (metrics not attached)[/]")
            : latencies.Aggregate(new Table().Title("Latencies (µs)").AddColumns("Operation", "Value"), (t, e) => t.AddRow(Markup.Escape(e.Key["latency.".Length..]), e.Value.ToString("N1", CultureInfo.InvariantCulture)));
        var alerts = now.Extra.Where(e => e.Key.StartsWith("alert.", StringComparison.Ordinal) && e.Value != 0).Select(e => e.Key["alert.".Length..]).Order(StringComparer.Ordinal).ToList();
        IRenderable alert = alerts.Count == 0
            ? new Markup("[green]Alerts: none active[/]")
            : new Markup("[red]Alerts active:[/] " + Markup.Escape(string.Join(", ", alerts)));
        return new Rows(header, rates, sizes, latency, alert, new Text(""));
    }
}
