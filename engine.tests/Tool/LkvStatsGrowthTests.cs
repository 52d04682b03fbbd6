using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using LatticeKV.Monitoring;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Tool;

/// <summary><c>lkv stats DB --history</c> (table, chart, JSON, HTML opened in headless Chromium) and <c>lkv stats DB --watch</c>, run as processes.</summary>
public sealed partial class LkvStatsGrowthTests
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 1, 8, 0, 0, TimeSpan.Zero);
    private const string Chromium = "/usr/bin/chromium";

    /// <summary>A database with <paramref name="rounds"/> growing rounds, one sample every ten minutes of a fake clock; returns how many samples it holds.</summary>
    private static int GrowingDatabase(string path, int rounds = 4)
    {
        var clock = new TimerClock(T0);
        using (var db = LatticeDb.Open(path, new DbOptions { Clock = clock, LiveStatsInterval = null }))
        {
            for (int round = 0; round < rounds; round++)
            {
                for (int i = 0; i < 100; i++) db.Put(TestDb.B($"r{round}k{i:D4}"), new byte[1000]);
                db.Flush();
                clock.Advance(TimeSpan.FromMinutes(10));
            }
        }
        return StorageHistory.Read(path).Count;
    }

    [Fact]
    public void StatsHistory_GrowingDatabase_ShowsTableChartAndGrowth()
    {
        using var dir = new TempDir();
        int samples = GrowingDatabase(dir.Path);
        var r = Lkv.Run("stats", dir.Path, "--history");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains($"{samples} samples", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("2026-05-01 08:40:00", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("█", r.Stdout, StringComparison.Ordinal); // the sparkline's tallest column
        Assert.Contains("Growth rate", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("per day", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("Disk full", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void StatsHistoryJson_MatchesTheHistory()
    {
        using var dir = new TempDir();
        GrowingDatabase(dir.Path);
        var history = StorageHistory.Read(dir.Path);
        var r = Lkv.Run("stats", dir.Path, "--history", "--json");
        Assert.True(r.ExitCode == 0, r.ToString());
        using var doc = JsonDocument.Parse(r.Stdout);
        var samples = doc.RootElement.GetProperty("samples").EnumerateArray().ToList();
        Assert.Equal(history.Select(s => s.TotalBytes), samples.Select(s => s.GetProperty("total_bytes").GetInt64()));
        var growth = doc.RootElement.GetProperty("growth");
        Assert.Equal(StorageGrowth.Compute(history)!.BytesPerDay, growth.GetProperty("bytes_per_day").GetDouble(), 1e-6);
        Assert.True(growth.GetProperty("bytes_per_day").GetDouble() > 0);
    }

    [Fact]
    public void StatsHistory_DamagedFile_ReportsCorruption()
    {
        using var dir = new TempDir();
        GrowingDatabase(dir.Path);
        string file = Path.Combine(dir.Path, StorageHistoryFile.FileName);
        var bytes = File.ReadAllBytes(file);
        bytes[12] ^= 0x20;
        File.WriteAllBytes(file, bytes);
        var r = Lkv.Run("stats", dir.Path, "--history");
        Assert.Equal(6, r.ExitCode);
        Assert.Contains("could not be read", r.Stdout, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void StatsHistoryHtml_InHeadlessChromium_RendersTheChartsWithTheirPoints()
    {
        Skip.IfNot(File.Exists(Chromium), $"{Chromium} is not installed (apt-get install chromium; .ci/run installs it)");
        using var dir = new TempDir();
        string db = dir.Sub("db");
        GrowingDatabase(db);
        var history = StorageHistory.Read(db);
        string page = dir.Sub("growth.html"), report = dir.Sub("report.html");
        var r = Lkv.Run("stats", db, "--history", "--html", page);
        Assert.True(r.ExitCode == 0, r.ToString());
        var inspect = Lkv.Run("inspect", db, "--html", report);
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        foreach (var file in new[] { page, report })
        {
            string dom = RenderedDom(file, dir.Sub("profile-" + Path.GetFileNameWithoutExtension(file)));
            int expected = history.Count * 4; // total, tables, logs, free disk
            Assert.Matches($"id=\"lkv-rendered\"[^>]*data-points=\"{expected}\"", dom);
            Assert.Matches($"id=\"lkv-rendered\"[^>]*>rendered</p>", dom);
            Assert.Matches("<ul id=\"lkv-errors\" class=\"problem\"></ul>", dom); // no script errors
            foreach (var s in history)
                Assert.Contains($"data-series=\"total\" data-time=\"{s.Time.UtcDateTime:O}\" data-bytes=\"{s.TotalBytes}\"", dom, StringComparison.Ordinal);
            Assert.Contains("Growth rate", dom, StringComparison.Ordinal);
        }
    }

    [SkippableFact]
    public void GrowthPage_ScriptError_IsCapturedInTheDom()
    {
        // The capture works: a page whose chart script fails shows the error, so an empty list above means none happened.
        Skip.IfNot(File.Exists(Chromium), $"{Chromium} is not installed (apt-get install chromium; .ci/run installs it)");
        using var dir = new TempDir();
        string db = dir.Sub("db");
        GrowingDatabase(db, rounds: 1);
        string page = dir.Sub("growth.html");
        Assert.Equal(0, Lkv.Run("stats", db, "--history", "--html", page).ExitCode);
        File.WriteAllText(page, File.ReadAllText(page).Replace("var marker = document.getElementById('lkv-rendered');", "var marker = document.getElementById('lkv-rendered'); undefinedFunction();", StringComparison.Ordinal));
        string dom = RenderedDom(page, dir.Sub("profile"));
        Assert.Contains("undefinedFunction", dom, StringComparison.Ordinal);
        Assert.DoesNotMatch("id=\"lkv-rendered\"[^>]*>rendered</p>", dom);
    }

    private static string RenderedDom(string file, string profile)
    {
        var psi = new ProcessStartInfo(Chromium) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile, "--dump-dom", new Uri(file).AbsoluteUri })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(1)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("chromium did not finish: " + stderr.Result);
        }
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"chromium exit {p.ExitCode}: {stderr.Result}");
        return stdout.Result;
    }

    [Fact]
    public async Task StatsWatch_OpenDatabase_ShowsLiveNumbersAndRates()
    {
        using var dir = new TempDir();
        using var db = LatticeDb.Open(dir.Path);
        var orders = db.CreateColumnFamily("orders");
        for (int i = 0; i < 1000; i++) db.Put(orders, TestDb.B($"o{i:D5}"), new byte[100]);
        db.PublishLiveStatsNow();
        using var stop = new CancellationTokenSource();
        // Writes go on while lkv watches, and each hundred publishes a fresh snapshot, so the second
        // frame has a later snapshot and a rate to show however late the database's own timer runs.
        var writer = Task.Run(() =>
        {
            for (int i = 0; !stop.IsCancellationRequested; i++)
            {
                db.Put(TestDb.B($"w{i:D8}"), new byte[10]);
                if (i % 100 == 99) db.PublishLiveStatsNow();
            }
        });
        LkvResult r;
        try { r = Lkv.Run("stats", dir.Path, "--watch", "--count", "2", "--interval", "1.5"); }
        finally
        {
            stop.Cancel();
            await writer;
        }
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("orders", r.Stdout, StringComparison.Ordinal);
        Assert.Contains($"process {Environment.ProcessId}", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("Alerts: none active", r.Stdout, StringComparison.Ordinal);
        var rates = WritesPerSecond().Matches(r.Stdout).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(2, rates.Count);
        Assert.Equal("-", rates[0]); // one snapshot: no rate yet
        Assert.True(double.Parse(rates[1], System.Globalization.NumberStyles.Number, System.Globalization.CultureInfo.InvariantCulture) > 0, r.Stdout);
    }

    [Fact]
    public void StatsWatch_Contributors_ShowLatenciesAndAlerts()
    {
        using var dir = new TempDir();
        using var db = LatticeDb.Open(dir.Path);
        db.AddLiveStatsContributor(() => new Dictionary<string, double> { ["latency.get.p99"] = 123.5, ["alert.disk-free"] = 1, ["alert.stall"] = 0 });
        db.PublishLiveStatsNow();
        var r = Lkv.Run("stats", dir.Path, "--watch", "--count", "1");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("get.p99", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("123.5", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("Alerts active: disk-free", r.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("stall", r.Stdout.Split("Alerts active:")[1], StringComparison.Ordinal);
    }

    [Fact]
    public void StatsWatch_ClosedDatabase_IsRefused()
    {
        using var dir = new TempDir();
        using (LatticeDb.Open(dir.Path)) { }
        var r = Lkv.Run("stats", dir.Path, "--watch", "--count", "1");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("not open in any process", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void StatsWatch_StaleSnapshot_IsRefused()
    {
        using var dir = new TempDir();
        using (LatticeDb.Open(dir.Path)) { }
        // What a process killed an hour ago leaves behind.
        LiveStatsFile.Write(LatticeKV.Io.RealFileSystem.Instance, dir.Path, new LiveStats { TimeMs = DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeMilliseconds(), IntervalMs = 1000, ProcessId = 1 });
        var r = Lkv.Run("stats", dir.Path, "--watch", "--count", "1");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("stale", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Demo_LeavesMonitoringFiles_AndASecondDemoReplacesThem()
    {
        using var dir = new TempDir("lkv-demo");
        string path = dir.Sub("demo");
        string[] args = ["demo", "--path", path, "--accounts", "20", "--transactions", "50", "--notes", "2", "--reads", "10"];
        var first = Lkv.Run(args);
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.True(File.Exists(Path.Combine(path, StorageHistoryFile.FileName)));
        File.WriteAllBytes(Path.Combine(path, StorageHistoryFile.FileName + ".tmp"), [1, 2]); // a rewrite a crash interrupted
        var second = Lkv.Run(args);
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.False(File.Exists(Path.Combine(path, StorageHistoryFile.FileName + ".tmp")));
    }

    [GeneratedRegex(@"writes/s\s*│\s*([-0-9.,]+)\s*│")]
    private static partial Regex WritesPerSecond();
}
