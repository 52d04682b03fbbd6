using System.CommandLine;
using LatticeKV.Tool.Cli;

namespace LatticeKV.Tool.Commands;

/// <summary><c>lkv get DB KEY</c>: prints one value.</summary>
public static class GetCommand
{
    public static Command Create()
    {
        var db = Common.Db();
        var key = new Argument<string>("key") { Description = "The key." };
        var cf = Common.ColumnFamily();
        var format = Common.Format();
        var keyFormat = Common.KeyFormat();
        var valueFormat = Common.ValueFormat();
        var cmd = new Command("get", "Print the value of a key (exit code 1 when the key does not exist).");
        cmd.Arguments.Add(db);
        cmd.Arguments.Add(key);
        foreach (var o in new Option[] { cf, format, keyFormat, valueFormat }) cmd.Options.Add(o);
        cmd.SetAction(r => Guard.Run(() =>
        {
            var f = r.GetValue(format);
            byte[] k = ByteText.Parse(r.GetValue(key)!, r.GetValue(keyFormat) ?? f, "key");
            using var database = Common.OpenReadOnly(r.GetValue(db)!, r);
            var value = database.Get(Common.Family(database, r.GetValue(cf)), k);
            if (value is null)
            {
                Terminal.Error($"key {ByteText.Format(k, r.GetValue(keyFormat) ?? f)} not found.");
                return ExitCodes.NotFound;
            }
            Console.Out.WriteLine(ByteText.Format(value, r.GetValue(valueFormat) ?? f));
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
