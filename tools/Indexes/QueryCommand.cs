using System.CommandLine;
using System.Globalization;
using LatticeKV.Tool.Cli;
using Spectre.Console;

namespace LatticeKV.Tool.Indexes;

/// <summary><c>lkv query DB --index NAME --prefix P</c>: entries of an index, as index key, primary key and value.</summary>
public static class QueryCommand
{
    public static Command Create()
    {
        var db = Common.Db();
        var index = new Option<string>("--index") { Description = "The index.", Required = true };
        var prefix = new Option<string?>("--prefix") { Description = "Index keys starting with this." };
        var from = new Option<string?>("--from") { Description = "First index key (inclusive)." };
        var to = new Option<string?>("--to") { Description = "End index key (exclusive)." };
        var reverse = new Option<bool>("--reverse") { Description = "From the last entry down." };
        var limit = new Option<long>("--limit", "-n") { Description = "At most this many entries (0: all).", DefaultValueFactory = _ => 0 };
        var format = Common.Format();
        var cmd = new Command("query", "List an index's entries in order of (index key, primary key): index key, a tab, primary key, a tab, value.");
        cmd.Arguments.Add(db);
        foreach (var o in new Option[] { index, prefix, from, to, reverse, limit, format }) cmd.Options.Add(o);
        cmd.SetAction(r => Guard.Run(() =>
        {
            var f = r.GetValue(format);
            if (r.GetValue(prefix) is not null && (r.GetValue(from) is not null || r.GetValue(to) is not null)) throw new UsageException("--prefix cannot be combined with --from or --to.");
            using var database = Common.OpenReadOnly(r.GetValue(db)!, r);
            var handle = database.GetIndex(r.GetValue(index)!);
            using var it = r.GetValue(prefix) is { } p
                ? database.QueryIndexPrefix(handle, ByteText.Parse(p, f, "--prefix"))
                : database.QueryIndex(handle, r.GetValue(from) is { } a ? ByteText.Parse(a, f, "--from") : [], r.GetValue(to) is { } b ? ByteText.Parse(b, f, "--to") : []);
            bool back = r.GetValue(reverse);
            long max = r.GetValue(limit) is > 0 and var n ? n : long.MaxValue, count = 0;
            if (back) it.SeekToLast();
            else it.SeekToFirst();
            for (; it.Valid && count < max; count++)
            {
                Console.Out.WriteLine(string.Join('\t', ByteText.Format(it.IndexKey, f), ByteText.Format(it.PrimaryKey, f), ByteText.Format(it.Value, f)));
                if (back) it.Prev();
                else it.Next();
            }
            Terminal.Err.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"[grey]{count:N0} entries[/]"));
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
