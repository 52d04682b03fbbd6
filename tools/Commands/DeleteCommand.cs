using System.CommandLine;
using LatticeKV.Tool.Cli;

namespace LatticeKV.Tool.Commands;

/// <summary><c>lkv delete DB KEY</c> or <c>lkv delete DB --from A --to B</c>: deletes a key or a range.</summary>
public static class DeleteCommand
{
    public static Command Create()
    {
        var db = Common.Db();
        var key = new Argument<string?>("key") { Description = "The key (omit it and give --from/--to to delete a range).", Arity = ArgumentArity.ZeroOrOne };
        var from = new Option<string?>("--from") { Description = "Delete a range: first key deleted." };
        var to = new Option<string?>("--to") { Description = "Delete a range: first key kept (exclusive end)." };
        var cf = Common.ColumnFamily();
        var format = Common.Format();
        var sync = new Option<bool>("--sync") { Description = "Sync the write-ahead log before returning." };
        var cmd = new Command("delete", "Delete a key, or with --from and --to every key in [from, to).");
        cmd.Arguments.Add(db);
        cmd.Arguments.Add(key);
        foreach (var o in new Option[] { from, to, cf, format, sync }) cmd.Options.Add(o);
        cmd.SetAction(r => Guard.Run(() =>
        {
            var f = r.GetValue(format);
            string? k = r.GetValue(key), a = r.GetValue(from), b = r.GetValue(to);
            if (k is not null == (a is not null || b is not null))
                throw new UsageException("give either a key or both --from and --to.");
            if (k is null && (a is null || b is null))
                throw new UsageException("a range delete needs both --from and --to.");
            var options = new WriteOptions { Sync = r.GetValue(sync) };
            byte[] first = ByteText.Parse(k ?? a!, f, k is null ? "--from" : "key");
            byte[]? end = b is null ? null : ByteText.Parse(b, f, "--to");
            using var database = Common.Open(r.GetValue(db)!, r);
            var family = Common.Family(database, r.GetValue(cf));
            if (end is null) database.Delete(family, first, options);
            else database.DeleteRange(family, first, end, options);
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
