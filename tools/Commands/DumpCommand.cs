using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using LatticeKV.Inspect;
using LatticeKV.Tool.Cli;
using LatticeKV.Tool.Report;

namespace LatticeKV.Tool.Commands;

/// <summary>
/// <c>lkv dump FILE|DB</c>: every entry of a table, log or MANIFEST (or of every such file in a
/// database directory), marking where damage starts and going on after it.
/// </summary>
public static class DumpCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("path") { Description = "A table (.sst), write-ahead log (.log) or MANIFEST file, or a database directory (every such file in it)." };
        var json = new Option<bool>("--json") { Description = "One JSON object per line (entries, then a summary per file)." };
        var kind = new Option<DumpFileKind?>("--kind") { Description = "The file's format when its name does not tell: table, log or manifest." };
        var limit = new Option<long>("--limit", "-n") { Description = "Stop after this many entries per file (0: all).", DefaultValueFactory = _ => 0 };
        var format = Common.Format();
        var cmd = new Command("dump", "Print every entry of a table, log or MANIFEST (sequence number, kind, key, value); damage is marked where it starts. Files of an encrypted database are decrypted with its key; without it only sizes, record counts and the keys they are sealed with are shown. Exit code 6 when damage was found.");
        cmd.Arguments.Add(path);
        foreach (var o in new Option[] { json, kind, limit, format }) cmd.Options.Add(o);
        cmd.SetAction(r => Guard.Run(() =>
        {
            string p = Path.GetFullPath(r.GetValue(path)!);
            if (r.GetValue(limit) < 0) throw new UsageException("--limit must not be negative.");
            var files = FilesOf(p, r.GetValue(kind));
            using var output = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), 1 << 16) { AutoFlush = false };
            var printer = new Printer(output, r.GetValue(format), r.GetValue(json), r.GetValue(limit) is > 0 and var n ? n : long.MaxValue, KeyOptions.From(r));
            int damaged = 0;
            foreach (var (file, k) in files)
            {
                var summary = printer.Dump(file, k);
                if (summary.Corruptions > 0) damaged++;
            }
            output.Flush();
            return damaged == 0 ? ExitCodes.Ok : ExitCodes.Corruption;
        }));
        return cmd;
    }

    /// <summary>The file itself, or the MANIFESTs, tables and logs of a database directory in that order.</summary>
    private static List<(string Path, DumpFileKind? Kind)> FilesOf(string path, DumpFileKind? kind)
    {
        if (File.Exists(path)) return [(path, kind)];
        if (!Directory.Exists(path)) throw new PathNotFoundException(path);
        var found = Directory.EnumerateFiles(path)
            .Where(IsNamed)
            .Select(f => (Path: f, Kind: FileDumper.DetectKind(f)))
            .Where(x => x.Kind is not null)
            .OrderBy(x => x.Kind switch { DumpFileKind.Manifest => 0, DumpFileKind.Table => 1, _ => 2 })
            .ThenBy(x => Path.GetFileName(x.Path), StringComparer.Ordinal)
            .Select(x => (x.Path, x.Kind)).ToList();
        if (found.Count == 0) throw new DbNotFoundException(path);
        return found;
    }

    /// <summary>Only files named as database files: a stray file is not sniffed in a directory dump.</summary>
    private static bool IsNamed(string file)
    {
        string name = Path.GetFileName(file);
        return name.StartsWith("MANIFEST-", StringComparison.Ordinal) || name.EndsWith(".sst", StringComparison.Ordinal) || name.EndsWith(".log", StringComparison.Ordinal);
    }

    private sealed class Printer(TextWriter output, ByteFormat format, bool json, long limit, EncryptionOptions? encryption)
    {
        public FileDumpSummary Dump(string file, DumpFileKind? kind)
        {
            string name = Path.GetFileName(file);
            long shown = 0;
            if (!json) output.WriteLine($"== {file}");
            var summary = FileDumper.Dump(file, e =>
            {
                bool mark = e.Kind is DumpEntryKind.Corruption or DumpEntryKind.TornTail;
                if (!mark && shown++ >= limit) return;
                if (json) output.WriteLine(JsonSerializer.Serialize(Entry(name, e), JsonModel.Lines));
                else output.WriteLine(Text(e));
            }, kind, encryption);
            if (json) output.WriteLine(JsonSerializer.Serialize(Summary(name, summary), JsonModel.Lines));
            else output.WriteLine(SummaryText(summary));
            return summary;
        }

        private Dictionary<string, object?> Entry(string file, DumpEntry e)
        {
            var d = new Dictionary<string, object?>
            {
                ["file"] = file,
                ["offset"] = e.Offset,
                ["kind"] = KindName(e.Kind),
            };
            switch (e.Kind)
            {
                case DumpEntryKind.Edit:
                    d["edit"] = JsonModel.Edit(e.Edit!, format);
                    break;
                case DumpEntryKind.Corruption or DumpEntryKind.TornTail:
                    d["message"] = e.Message;
                    break;
                default:
                    d["seq"] = e.Sequence;
                    d["cf"] = e.ColumnFamilyId;
                    d["key"] = ByteText.Format(e.Key.Span, format);
                    if (e.Kind == DumpEntryKind.RangeDelete) d["end_key"] = ByteText.Format(e.Value.Span, format);
                    else if (e.Kind is DumpEntryKind.Put or DumpEntryKind.Merge) d["value"] = ByteText.Format(e.Value.Span, format);
                    if (e.WriteTimeMs is { } t) d["write_time_ms"] = t;
                    break;
            }
            return d;
        }

        private static Dictionary<string, object?> Summary(string file, FileDumpSummary s) => new()
        {
            ["file"] = file,
            ["kind"] = "summary",
            ["format"] = s.Kind.ToString().ToLowerInvariant(),
            ["size"] = s.Size,
            ["entries"] = s.Entries,
            ["records"] = s.Records,
            ["corruptions"] = s.Corruptions,
            ["first_corruption_offset"] = s.FirstCorruptionOffset,
            ["sealed"] = s.Sealed,
            ["key_id"] = s.KeyId == 0 ? null : s.KeyId,
            ["key_generation"] = s.KeyGeneration == 0 ? null : s.KeyGeneration,
            ["contents_hidden"] = s.ContentsHidden,
        };

        private string Text(DumpEntry e)
        {
            string at = string.Create(CultureInfo.InvariantCulture, $"@{e.Offset,-9}");
            return e.Kind switch
            {
                DumpEntryKind.Corruption => $"{at} !! CORRUPTION: {e.Message}",
                DumpEntryKind.TornTail => $"{at} -- torn tail: {e.Message}",
                DumpEntryKind.Edit => $"{at} EDIT {EditText(e.Edit!)}",
                DumpEntryKind.Delete => string.Create(CultureInfo.InvariantCulture, $"{at} seq {e.Sequence} cf {e.ColumnFamilyId} DELETE {ByteText.Format(e.Key.Span, format)}"),
                DumpEntryKind.RangeDelete => string.Create(CultureInfo.InvariantCulture,
                    $"{at} seq {e.Sequence} cf {e.ColumnFamilyId} DELETE-RANGE [{ByteText.Format(e.Key.Span, format)}, {ByteText.Format(e.Value.Span, format)})"),
                DumpEntryKind.Merge => string.Create(CultureInfo.InvariantCulture,
                    $"{at} seq {e.Sequence} cf {e.ColumnFamilyId} MERGE {ByteText.Format(e.Key.Span, format)} <= {ByteText.Format(e.Value.Span, format)}"),
                _ => string.Create(CultureInfo.InvariantCulture, $"{at} seq {e.Sequence} cf {e.ColumnFamilyId} PUT {ByteText.Format(e.Key.Span, format)} => {ByteText.Format(e.Value.Span, format)}"),
            };
        }

        private string EditText(ManifestEditInfo e)
        {
            var parts = new List<string> { string.Create(CultureInfo.InvariantCulture, $"cf {e.ColumnFamilyId}") };
            if (e.ColumnFamilyAdded is { } added) parts.Add($"create column family '{added}'");
            if (e.ColumnFamilyDropped) parts.Add("drop column family");
            if (e.Comparator is { } c) parts.Add($"comparator {c}");
            if (e.FormatVersion is { } v) parts.Add(string.Create(CultureInfo.InvariantCulture, $"format {v}"));
            foreach (var f in e.AddedFiles)
                parts.Add(string.Create(CultureInfo.InvariantCulture,
                    $"add L{f.Level} {f.FileName} ({f.FileSize:N0} bytes, keys {ByteText.Format(f.SmallestKey, format)} .. {ByteText.Format(f.LargestKey, format)}, seq {f.SmallestSequence}..{f.LargestSequence})"));
            foreach (var d in e.DeletedFiles) parts.Add(string.Create(CultureInfo.InvariantCulture, $"delete L{d.Level} #{d.Number}"));
            if (e.LogNumber is { } log) parts.Add(string.Create(CultureInfo.InvariantCulture, $"log {log}"));
            if (e.NextFileNumber is { } next) parts.Add(string.Create(CultureInfo.InvariantCulture, $"next file {next}"));
            if (e.LastSequence is { } last) parts.Add(string.Create(CultureInfo.InvariantCulture, $"last seq {last}"));
            if (e.ColumnFamilyOptions is not null) parts.Add("options");
            return string.Join("; ", parts);
        }

        private static string SummaryText(FileDumpSummary s)
        {
            string unit = s.Kind == DumpFileKind.Table ? "data blocks" : "records";
            string damage = s.Corruptions == 0 ? "no damage" : string.Create(CultureInfo.InvariantCulture, $"{s.Corruptions} damaged regions, the first at offset {s.FirstCorruptionOffset}");
            string sealing = !s.Sealed ? "" : s.KeyId == 0 ? "; encrypted" : $"; encrypted ({Report.Sealing.Describe(s.KeyId, s.KeyGeneration)})";
            string hidden = s.ContentsHidden is { } why ? $"\n-- contents not shown: {why}" : "";
            return string.Create(CultureInfo.InvariantCulture, $"-- {s.Kind.ToString().ToLowerInvariant()}, {s.Size:N0} bytes: {s.Entries:N0} entries in {s.Records:N0} {unit}; {damage}{sealing}{hidden}");
        }

        private static string KindName(DumpEntryKind kind) => kind switch
        {
            DumpEntryKind.RangeDelete => "range-delete",
            DumpEntryKind.TornTail => "torn-tail",
            _ => kind.ToString().ToLowerInvariant(),
        };
    }
}
