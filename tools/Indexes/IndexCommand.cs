using System.CommandLine;
using System.Globalization;
using LatticeKV.Tool.Cli;
using Spectre.Console;

namespace LatticeKV.Tool.Indexes;

/// <summary><c>lkv index list|create|drop|verify DB</c>: secondary indexes.</summary>
public static class IndexCommand
{
    public static Command Create()
    {
        var cmd = new Command("index", "Secondary and full-text indexes: list, create, drop, verify.");
        cmd.Subcommands.Add(List());
        cmd.Subcommands.Add(IndexCreateCommand.Create());
        cmd.Subcommands.Add(Drop());
        cmd.Subcommands.Add(IndexVerifyCommand.Create());
        return cmd;
    }

    private static Command List()
    {
        var db = Common.Db();
        var json = Common.Json();
        var cmd = new Command("list", "List the indexes: name, column family, extractor, unique, state.");
        cmd.Arguments.Add(db);
        cmd.Options.Add(json);
        cmd.SetAction(r => Guard.Run(() =>
        {
            using var database = Common.OpenReadOnly(r.GetValue(db)!, r);
            var indexes = database.ListIndexes();
            if (r.GetValue(json))
            {
                Backups.BackupJson.Write(new Dictionary<string, object?>
                {
                    ["indexes"] = indexes.Select(i => new Dictionary<string, object?>
                    {
                        ["name"] = i.Name,
                        ["column_family"] = i.ColumnFamily.Name,
                        ["extractor"] = i.Extractor,
                        ["unique"] = i.Unique,
                        ["text"] = i.IsText,
                        ["state"] = i.State.ToString(),
                    }).ToList(),
                });
                return ExitCodes.Ok;
            }
            foreach (var i in indexes)
                Console.Out.WriteLine(string.Join('\t', i.Name, i.ColumnFamily.Name, i.Extractor, i.Unique ? "unique" : "-", i.State.ToString()));
            Terminal.Err.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"[grey]{indexes.Count} indexes[/]"));
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    private static Command Drop()
    {
        var db = Common.Db();
        var name = new Argument<string>("name") { Description = "The index." };
        var cmd = new Command("drop", "Drop an index and its entries.");
        cmd.Arguments.Add(db);
        cmd.Arguments.Add(name);
        cmd.SetAction(r => Guard.Run(() =>
        {
            using var database = Common.Open(r.GetValue(db)!, r);
            database.DropIndex(database.GetIndex(r.GetValue(name)!));
            Terminal.Err.MarkupLine("[green]dropped[/]");
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
