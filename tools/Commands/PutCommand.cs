using System.CommandLine;
using LatticeKV.Tool.Cli;

namespace LatticeKV.Tool.Commands;

/// <summary><c>lkv put DB KEY VALUE</c>: writes one value.</summary>
public static class PutCommand
{
    public static Command Create()
    {
        var db = Common.Db();
        var key = new Argument<string>("key") { Description = "The key." };
        var value = new Argument<string>("value") { Description = "The value; - reads the raw bytes from standard input." };
        var cf = Common.ColumnFamily();
        var format = Common.Format();
        var keyFormat = Common.KeyFormat();
        var valueFormat = Common.ValueFormat();
        var sync = new Option<bool>("--sync") { Description = "Sync the write-ahead log before returning (survives power loss)." };
        var create = new Option<bool>("--create") { Description = "Create the database if it does not exist." };
        var replicated = new Option<bool>("--replicated") { Description = "Create the column family (--cf; or, with --create, a new database's default family) as replicated if it does not exist yet." };
        var cmd = new Command("put", "Write a value for a key.");
        cmd.Arguments.Add(db);
        cmd.Arguments.Add(key);
        cmd.Arguments.Add(value);
        foreach (var o in new Option[] { cf, format, keyFormat, valueFormat, sync, create, replicated }) cmd.Options.Add(o);
        cmd.SetAction(r => Guard.Run(() =>
        {
            var f = r.GetValue(format);
            byte[] k = ByteText.Parse(r.GetValue(key)!, r.GetValue(keyFormat) ?? f, "key");
            string v = r.GetValue(value)!;
            byte[] bytes = v == "-" ? ReadStandardInput() : ByteText.Parse(v, r.GetValue(valueFormat) ?? f, "value");
            bool replicate = r.GetValue(replicated);
            string? family = r.GetValue(cf);
            using var database = Common.Open(r.GetValue(db)!, r, r.GetValue(create), o =>
            {
                if (replicate && family is null && !File.Exists(Path.Combine(r.GetValue(db)!, "CURRENT"))) o.DefaultColumnFamilyOptions.Replicated = true;
            });
            if (replicate && family is not null && !database.TryGetColumnFamily(family, out _))
                database.CreateColumnFamily(family, new ColumnFamilyOptions { Replicated = true, Encrypted = database.DefaultColumnFamily.Data.Options.Encrypted });
            database.Put(Common.Family(database, family), k, bytes, new WriteOptions { Sync = r.GetValue(sync) });
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    private static byte[] ReadStandardInput()
    {
        using var stdin = Console.OpenStandardInput();
        using var buffer = new MemoryStream();
        stdin.CopyTo(buffer);
        return buffer.ToArray();
    }
}
