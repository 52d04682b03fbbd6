using System.CommandLine;
using System.Globalization;
using LatticeKV.Tool.Cli;
using Spectre.Console;

namespace LatticeKV.Tool.Indexes;

/// <summary><c>lkv search DB --index NAME "terms"</c>: full-text search, best first.</summary>
public static class SearchCommand
{
    public static Command Create()
    {
        var db = Common.Db();
        var index = new Option<string>("--index") { Description = "The text index.", Required = true };
        var query = new Argument<string>("query") { Description = "Words that must all match; word* matches words starting with it." };
        var limit = new Option<int>("--limit", "-n") { Description = "At most this many results.", DefaultValueFactory = _ => 10 };
        var format = Common.Format();
        var cmd = new Command("search", "Search a text index: score (BM25), a tab, primary key, a tab, value; best first, ties by key.");
        cmd.Arguments.Add(db);
        cmd.Arguments.Add(query);
        foreach (var o in new Option[] { index, limit, format }) cmd.Options.Add(o);
        cmd.SetAction(r => Guard.Run(() =>
        {
            var f = r.GetValue(format);
            using var database = Common.OpenReadOnly(r.GetValue(db)!, r);
            var results = database.Search(database.GetIndex(r.GetValue(index)!), r.GetValue(query)!, r.GetValue(limit));
            foreach (var s in results)
                Console.Out.WriteLine(string.Join('\t', s.Score.ToString("F6", CultureInfo.InvariantCulture), ByteText.Format(s.PrimaryKey, f), ByteText.Format(s.Value, f)));
            Terminal.Err.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"[grey]{results.Count} results[/]"));
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
