using System.Text;
using System.Text.Json;
using System.Xml;
using System.Xml.Linq;
using LatticeKV.Inspect;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Tool;

/// <summary><c>lkv dump</c> and <c>lkv inspect</c> run as a process against a database the engine made.</summary>
public sealed class LkvFileTests(KnownDatabase known) : IClassFixture<KnownDatabase>
{
    private static List<JsonElement> JsonLines(string stdout)
        => [.. stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];

    private static IEnumerable<TableFileInfo> Tables(DatabaseInfo info, string cf)
        => info.ColumnFamilies.Single(c => c.Name == cf).Levels.SelectMany(l => l.Files);

    [Fact]
    public void Dump_Table_ListsEveryEntryWithSequenceAndKind()
    {
        var info = DatabaseInspector.Inspect(known.Path);
        foreach (var table in Tables(info, "default"))
        {
            var r = Lkv.Run("dump", Path.Combine(known.Path, table.FileName), "--json");
            Assert.True(r.ExitCode == 0, r.ToString());
            var lines = JsonLines(r.Stdout);
            var entries = lines.Where(l => l.GetProperty("kind").GetString() != "summary").ToList();
            var summary = lines.Single(l => l.GetProperty("kind").GetString() == "summary");
            // Point entries plus range tombstones (kept in their own block).
            Assert.Equal(table.Entries + table.RangeDeletions, entries.Count);
            Assert.Equal(entries.Count, summary.GetProperty("entries").GetInt64());
            Assert.Equal(0, summary.GetProperty("corruptions").GetInt32());
            Assert.Equal(table.DataBlocks, summary.GetProperty("records").GetInt64());
            Assert.Equal(table.Deletions, entries.Count(e => e.GetProperty("kind").GetString() == "delete"));
            Assert.Equal(table.RangeDeletions, entries.Count(e => e.GetProperty("kind").GetString() == "range-delete"));
            foreach (var e in entries)
            {
                ulong seq = e.GetProperty("seq").GetUInt64();
                Assert.InRange(seq, table.SmallestSequence, table.LargestSequence);
                if (e.GetProperty("kind").GetString() == "put")
                {
                    // Every value stored is one the fixture wrote for that key.
                    string key = e.GetProperty("key").GetString()!;
                    int i = int.Parse(key["acct/".Length..], System.Globalization.CultureInfo.InvariantCulture);
                    string value = e.GetProperty("value").GetString()!;
                    Assert.Contains(value, new[] { KnownDatabase.Value(i), KnownDatabase.Value(i, 2) }.Select(v => Encoding.UTF8.GetString(v)));
                }
            }
        }
    }

    [Fact]
    public void Dump_Log_ShowsTheUnflushedWrite()
    {
        var info = DatabaseInspector.Inspect(known.Path);
        var log = Assert.Single(info.LogFiles);
        var r = Lkv.Run("dump", Path.Combine(known.Path, log.FileName), "--json");
        Assert.True(r.ExitCode == 0, r.ToString());
        var put = Assert.Single(JsonLines(r.Stdout), l => l.GetProperty("kind").GetString() == "put");
        Assert.Equal("unflushed", put.GetProperty("key").GetString());
        Assert.Equal("in the log only", put.GetProperty("value").GetString());
        // Newer than anything the MANIFEST records as flushed.
        Assert.True(put.GetProperty("seq").GetUInt64() > info.LastSequence);

        var text = Lkv.Run("dump", Path.Combine(known.Path, log.FileName));
        Assert.Contains("unflushed", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("in the log only", text.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Dump_Manifest_EditsAddUpToTheLiveTables()
    {
        var info = DatabaseInspector.Inspect(known.Path);
        var r = Lkv.Run("dump", Path.Combine(known.Path, info.Manifest), "--json");
        Assert.True(r.ExitCode == 0, r.ToString());
        var live = new HashSet<long>();
        var families = new HashSet<string>();
        foreach (var line in JsonLines(r.Stdout).Where(l => l.GetProperty("kind").GetString() == "edit"))
        {
            var edit = line.GetProperty("edit");
            if (edit.TryGetProperty("add_column_family", out var cf)) families.Add(cf.GetString()!);
            if (edit.TryGetProperty("delete_files", out var deleted))
                foreach (var d in deleted.EnumerateArray()) live.Remove(d.GetProperty("number").GetInt64());
            if (edit.TryGetProperty("add_files", out var added))
                foreach (var a in added.EnumerateArray()) live.Add(a.GetProperty("number").GetInt64());
        }
        var expected = info.ColumnFamilies.SelectMany(c => c.Levels).SelectMany(l => l.Files).Select(f => f.Number).ToHashSet();
        Assert.Equal(expected.Order(), live.Order());
        Assert.Contains("ledger", families);
    }

    [Fact]
    public void Dump_DamagedTable_MarksWhereDamageStartsAndDumpsTheRest()
    {
        using var dir = new TempDir("lkv-dump");
        string path = known.CopyTo(dir);
        var info = DatabaseInspector.Inspect(path);
        var table = Tables(info, "default").Where(t => t.DataBlocks >= 3).OrderByDescending(t => t.DataBlocks).First();
        string file = Path.Combine(path, table.FileName);
        var blockOffsets = JsonLines(Lkv.Run("dump", file, "--json").Stdout)
            .Where(l => l.GetProperty("kind").GetString() is "put" or "delete")
            .Select(l => l.GetProperty("offset").GetInt64()).Distinct().Order().ToList();
        long damaged = blockOffsets[1];
        var bytes = File.ReadAllBytes(file);
        bytes[damaged + 20] ^= 0x5A;
        File.WriteAllBytes(file, bytes);

        var r = Lkv.Run("dump", file, "--json");
        Assert.True(r.ExitCode == 6, r.ToString());
        var lines = JsonLines(r.Stdout);
        var corruption = Assert.Single(lines, l => l.GetProperty("kind").GetString() == "corruption");
        Assert.Equal(damaged, corruption.GetProperty("offset").GetInt64());
        Assert.False(string.IsNullOrEmpty(corruption.GetProperty("message").GetString()));
        Assert.Contains(lines, l => l.GetProperty("kind").GetString() == "put" && l.GetProperty("offset").GetInt64() > damaged);
        Assert.Contains(lines, l => l.GetProperty("kind").GetString() == "put" && l.GetProperty("offset").GetInt64() < damaged);
        var summary = Assert.Single(lines, l => l.GetProperty("kind").GetString() == "summary");
        Assert.Equal(damaged, summary.GetProperty("first_corruption_offset").GetInt64());
        Assert.Equal(1, summary.GetProperty("corruptions").GetInt32());

        var text = Lkv.Run("dump", file);
        Assert.Equal(6, text.ExitCode);
        Assert.Contains(damaged.ToString(System.Globalization.CultureInfo.InvariantCulture), text.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Dump_ErrorPaths_HaveTheirExitCodes()
    {
        using var dir = new TempDir("lkv-dump");
        LkvKeyValueTests.AssertUserError(Lkv.Run("dump", dir.Sub("nothing.sst")), 3);
        string stray = dir.Sub("notes.txt");
        File.WriteAllText(stray, "not a database file");
        var r = Lkv.Run("dump", stray);
        Assert.NotEqual(0, r.ExitCode);
        Assert.DoesNotContain("   at ", r.Stderr, StringComparison.Ordinal);
        LkvKeyValueTests.AssertUserError(Lkv.Run("dump", stray, "--kind", "spreadsheet"), 2);
    }

    [Fact]
    public void Inspect_Json_MatchesTheEngine()
    {
        var r = Lkv.Run("inspect", known.Path, "--json");
        Assert.True(r.ExitCode == 0, r.ToString());
        using var doc = JsonDocument.Parse(r.Stdout);
        var root = doc.RootElement;
        Assert.Equal("lattice.BytewiseComparator", root.GetProperty("comparator").GetString());
        var families = root.GetProperty("column_families").EnumerateArray().ToList();
        Assert.Equal(known.LevelBytes.Keys.Order(), families.Select(f => f.GetProperty("name").GetString()!).Order());
        foreach (var cf in families)
        {
            string name = cf.GetProperty("name").GetString()!;
            foreach (var level in cf.GetProperty("levels").EnumerateArray())
            {
                int l = level.GetProperty("level").GetInt32();
                long bytes = l < known.LevelBytes[name].Length ? known.LevelBytes[name][l] : 0;
                int files = l < known.LevelFiles[name].Length ? known.LevelFiles[name][l] : 0;
                Assert.Equal(bytes, level.GetProperty("bytes").GetInt64());
                Assert.Equal(files, level.GetProperty("files").GetInt32());
                Assert.Equal(files, level.GetProperty("tables").GetArrayLength());
                foreach (var t in level.GetProperty("tables").EnumerateArray())
                {
                    Assert.True(t.GetProperty("compression_ratio").GetDouble() > 1, "text values compress");
                    Assert.True(t.GetProperty("filter_size").GetInt64() > 0);
                    Assert.True(string.CompareOrdinal(t.GetProperty("smallest_key").GetString(), t.GetProperty("largest_key").GetString()) <= 0);
                }
            }
        }
        Assert.Equal(1, root.GetProperty("log_files").GetArrayLength());
        Assert.Contains("write_buffer_size", root.GetProperty("options_text").GetString(), StringComparison.Ordinal);
        Assert.True(root.GetProperty("last_sequence").GetInt64() > 4000);
    }

    [Fact]
    public void Inspect_Text_ShowsTheTreeAndTables()
    {
        var r = Lkv.Run("inspect", known.Path);
        Assert.True(r.ExitCode == 0, r.ToString());
        var info = DatabaseInspector.Inspect(known.Path);
        Assert.Contains("ledger", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("default", r.Stdout, StringComparison.Ordinal);
        foreach (var t in info.ColumnFamilies.SelectMany(c => c.Levels).SelectMany(l => l.Files))
            Assert.Contains(t.FileName, r.Stdout, StringComparison.Ordinal);
        Assert.Contains(info.LogFiles[0].FileName, r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_Html_IsWellFormedAndCarriesTheChartData()
    {
        using var dir = new TempDir("lkv-html");
        string html = dir.Sub("report.html");
        var r = Lkv.Run("inspect", known.Path, "--html", html);
        Assert.True(r.ExitCode == 0, r.ToString());
        string text = File.ReadAllText(html);
        Assert.StartsWith("<!DOCTYPE html>", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<script src", text, StringComparison.OrdinalIgnoreCase); // self-contained
        Assert.DoesNotContain("<link", text, StringComparison.OrdinalIgnoreCase);

        using var reader = XmlReader.Create(new StringReader(text), new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore });
        var doc = XDocument.Load(reader);
        var sections = doc.Descendants().Where(e => e.Name.LocalName == "section" && (string?)e.Attribute("class") == "column-family").ToList();
        Assert.Equal(known.LevelBytes.Keys.Order(), sections.Select(s => (string)s.Attribute("data-name")!).Order());
        foreach (var section in sections)
        {
            string name = (string)section.Attribute("data-name")!;
            var bars = section.Descendants().Where(e => e.Name.LocalName == "rect" && (string?)e.Attribute("class") == "level-bar").ToList();
            Assert.NotEmpty(bars);
            foreach (var bar in bars)
            {
                int level = (int)bar.Attribute("data-level")!;
                Assert.Equal(known.LevelBytes[name][level], (long)bar.Attribute("data-bytes")!);
                Assert.Equal(known.LevelFiles[name][level], (int)bar.Attribute("data-files")!);
            }
            var ranges = section.Descendants().Where(e => e.Name.LocalName == "rect" && (string?)e.Attribute("class") == "table-range").ToList();
            Assert.Equal(known.LevelFiles[name].Sum(), ranges.Count);
            Assert.Equal(known.LevelBytes[name].Sum(), ranges.Sum(x => (long)x.Attribute("data-bytes")!));
        }
        var data = doc.Descendants().Single(e => e.Name.LocalName == "script" && (string?)e.Attribute("id") == "lkv-data");
        using var json = JsonDocument.Parse(data.Value);
        Assert.Equal(2, json.RootElement.GetProperty("column_families").GetArrayLength());
    }
}
