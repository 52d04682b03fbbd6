using System.Globalization;
using LatticeKV.Inspect;
using LatticeKV.Tool.Cli;
using Spectre.Console;

namespace LatticeKV.Tool.Report;

/// <summary>The terminal view of <c>lkv inspect</c>: a summary, a tree per column family, level tables, logs and options.</summary>
public static class InspectView
{
    private const int FilesPerLevelInTree = 12;

    public static void Render(IAnsiConsole console, DatabaseInfo db, ByteFormat format, bool showOptions)
    {
        var summary = new Grid().AddColumn().AddColumn();
        summary.AddRow("[bold]Path[/]", Markup.Escape(db.Path));
        // Without the key the MANIFEST's contents are sealed: only its name and size are known.
        string Sealed(string value) => db.Locked ? "(sealed)" : value;
        summary.AddRow("[bold]Format version[/]", Sealed(db.FormatVersion.ToString(CultureInfo.InvariantCulture)));
        summary.AddRow("[bold]Comparator[/]", Markup.Escape(Sealed(db.Comparator)));
        summary.AddRow("[bold]MANIFEST[/]", $"{db.Manifest} ({Sizes.Format(db.ManifestSize)})");
        summary.AddRow("[bold]Last sequence[/]", Sealed(db.LastSequence.ToString("N0", CultureInfo.InvariantCulture)));
        summary.AddRow("[bold]Size on disk[/]", Sizes.Format(db.TotalBytes));
        summary.AddRow("[bold]Encryption[/]", Markup.Escape(Sealing.Summary(db)));
        console.Write(new Panel(summary).Header("LatticeKV database"));
        if (db.Locked)
        {
            // Without the key only the directory can be described: the MANIFEST is sealed.
            var files = new Table().Title("Files").AddColumns("File", "Kind", "Size", "Encryption");
            foreach (var f in db.Files) files.AddRow(Markup.Escape(f.FileName), f.Kind, Sizes.Format(f.Size), Markup.Escape(Sealing.Of(f)));
            console.Write(files);
            console.MarkupLine("[grey]give the key (--passphrase-file, --key-file or LKV_PASSPHRASE) to see column families, levels and tables[/]");
        }

        foreach (var cf in db.ColumnFamilies)
        {
            console.Write(Tree(cf, format));
            if (cf.Levels.Any(l => l.Files.Count > 0)) console.Write(LevelTable(cf));
        }
        var logs = new Table().Title("Write-ahead logs").AddColumns("File", "Size", "Encryption");
        foreach (var l in db.LogFiles) logs.AddRow(l.FileName, Sizes.Format(l.Size), l.Sealed ? "sealed" : "plaintext");
        if (db.LogFiles.Count == 0) logs.AddRow("(none)", "", "");
        console.Write(logs);
        if (showOptions && db.OptionsText is { } options)
            console.Write(new Panel(Markup.Escape(options.TrimEnd())).Header("Options in effect"));
    }

    private static Tree Tree(ColumnFamilyInfo cf, ByteFormat format)
    {
        long bytes = cf.Levels.Sum(l => l.Bytes);
        int files = cf.Levels.Sum(l => l.Files.Count);
        string encrypted = cf.Encrypted ? ", encrypted (key ranges not shown)" : "";
        var tree = new Tree($"[bold]Column family {Markup.Escape(cf.Name)}[/] (id {cf.Id}): {files} tables, {Sizes.Format(bytes)}{encrypted}");
        foreach (var level in cf.Levels.Where(l => l.Files.Count > 0))
        {
            var node = tree.AddNode($"[bold]L{level.Level}[/]: {level.Files.Count} tables, {Sizes.Format(level.Bytes)}");
            foreach (var f in level.Files.Take(FilesPerLevelInTree))
            {
                string error = f.Error is null ? "" : $" [red]{Markup.Escape(f.Error)}[/]";
                string keys = f.KeyRangeHidden ? "" : $"  keys {Short(f.SmallestKey, format)} .. {Short(f.LargestKey, format)}";
                node.AddNode(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                    $"{f.FileName}  {Sizes.Format(f.FileSize)}{keys}  seq {f.SmallestSequence}..{f.LargestSequence}  {f.Entries:N0} entries, {f.Deletions:N0} deletions  {Sealing.Of(f)}"))
                    + error);
            }
            if (level.Files.Count > FilesPerLevelInTree)
                node.AddNode($"[grey]... and {level.Files.Count - FilesPerLevelInTree} more (--json lists all)[/]");
        }
        if (files == 0) tree.AddNode("[grey]no tables yet: everything is in the memtable and the write-ahead log[/]");
        return tree;
    }

    private static Table LevelTable(ColumnFamilyInfo cf)
    {
        var t = new Table().AddColumns("Level", "Tables", "Size", "Entries", "Deletions", "Range dels", "Compression", "Bloom", "Index");
        foreach (var c in t.Columns.Skip(1)) c.RightAligned();
        int used = cf.Levels.Last(l => l.Files.Count > 0).Level;
        foreach (var l in cf.Levels.Where(l => l.Level <= used))
        {
            long stored = l.Files.Sum(f => f.DataSize), raw = l.Files.Sum(f => f.UncompressedDataSize);
            t.AddRow("L" + l.Level.ToString(CultureInfo.InvariantCulture), l.Files.Count.ToString(CultureInfo.InvariantCulture), Sizes.Format(l.Bytes),
                l.Files.Sum(f => f.Entries).ToString("N0", CultureInfo.InvariantCulture), l.Files.Sum(f => f.Deletions).ToString("N0", CultureInfo.InvariantCulture),
                l.Files.Sum(f => f.RangeDeletions).ToString("N0", CultureInfo.InvariantCulture),
                stored == 0 ? "-" : string.Create(CultureInfo.InvariantCulture, $"{(double)raw / stored:F2}x"),
                Sizes.Format(l.Files.Sum(f => f.FilterSize)), Sizes.Format(l.Files.Sum(f => f.IndexSize)));
        }
        return t;
    }

    private static string Short(byte[] key, ByteFormat format)
    {
        string s = ByteText.Format(key, format);
        return s.Length <= 32 ? s : s[..29] + "...";
    }
}
