using System.CommandLine;
using System.Text.Json;
using LatticeKV.Tool.Cli;
using LatticeKV.Tool.Report;
using Spectre.Console;

namespace LatticeKV.Tool.Commands;

/// <summary><c>lkv scan DB</c>: lists keys and values in order, as text or JSON lines.</summary>
public static class ScanCommand
{
    public static Command Create()
    {
        var db = Common.Db();
        var cf = Common.ColumnFamily();
        var from = new Option<string?>("--from") { Description = "First key (inclusive)." };
        var to = new Option<string?>("--to") { Description = "End key (exclusive)." };
        var limit = new Option<long>("--limit", "-n") { Description = "At most this many entries (0: all).", DefaultValueFactory = _ => 0 };
        var reverse = new Option<bool>("--reverse") { Description = "From the last key down." };
        var keysOnly = new Option<bool>("--keys-only") { Description = "Print keys only." };
        var json = new Option<bool>("--json") { Description = "One JSON object per line: {\"key\":…,\"value\":…}." };
        var format = Common.Format();
        var keyFormat = Common.KeyFormat();
        var valueFormat = Common.ValueFormat();
        var cmd = new Command("scan", "List entries in key order: key, a tab, value; or JSON lines with --json.");
        cmd.Arguments.Add(db);
        foreach (var o in new Option[] { cf, from, to, limit, reverse, keysOnly, json, format, keyFormat, valueFormat }) cmd.Options.Add(o);
        cmd.SetAction(r => Guard.Run(() =>
        {
            var f = r.GetValue(format);
            var kf = r.GetValue(keyFormat) ?? f;
            var vf = r.GetValue(valueFormat) ?? f;
            if (r.GetValue(limit) < 0) throw new UsageException("--limit must not be negative.");
            var options = new ReadOptions
            {
                FillCache = false,
                IterateLowerBound = r.GetValue(from) is { } a ? ByteText.Parse(a, kf, "--from") : null,
                IterateUpperBound = r.GetValue(to) is { } b ? ByteText.Parse(b, kf, "--to") : null,
            };
            using var database = Common.OpenReadOnly(r.GetValue(db)!, r);
            using var it = database.NewIterator(Common.Family(database, r.GetValue(cf)), options);
            long max = r.GetValue(limit) is > 0 and var n ? n : long.MaxValue;
            bool back = r.GetValue(reverse), onlyKeys = r.GetValue(keysOnly);
            using var output = new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false), 1 << 16) { AutoFlush = false };
            long count = 0;
            if (back) it.SeekToLast();
            else it.SeekToFirst();
            for (; it.Valid && count < max; count++)
            {
                string k = ByteText.Format(it.Key, kf);
                if (r.GetValue(json))
                {
                    output.Write("{\"key\":");
                    output.Write(JsonSerializer.Serialize(k, JsonModel.Lines));
                    if (!onlyKeys)
                    {
                        output.Write(",\"value\":");
                        output.Write(JsonSerializer.Serialize(ByteText.Format(it.Value, vf), JsonModel.Lines));
                    }
                    output.Write("}\n");
                }
                else
                {
                    output.Write(k);
                    if (!onlyKeys)
                    {
                        output.Write('\t');
                        output.Write(ByteText.Format(it.Value, vf));
                    }
                    output.Write('\n');
                }
                if (back) it.Prev();
                else it.Next();
            }
            output.Flush();
            Terminal.Err.MarkupLine($"[grey]{count:N0} entries[/]");
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
