using System.CommandLine;
using LatticeKV.Tool.Cli;
using Spectre.Console;

namespace LatticeKV.Tool.Commands;

/// <summary><c>lkv shred DB --cf NAME --yes</c>: crypto-shreds an encrypted column family (LatticeDb.ShredColumnFamily).</summary>
public static class ShredCommand
{
    public static Command Create()
    {
        var db = Common.Db();
        var cf = new Option<string>("--cf") { Description = "The encrypted column family to shred.", Required = true };
        var scope = new Option<string?>("--scope")
        {
            Description = "Shred only the values of one scope of the family. Not supported yet: this engine has no LatticeDb.ShredScope, so giving it exits with code 2.",
        };
        var yes = new Option<bool>("--yes") { Description = "Confirm: the family's data can never be read again, here or in any copy or backup." };
        var cmd = new Command("shred", "Crypto-shred an encrypted column family: every key that sealed its data is destroyed, so no copy of that data (tables, logs, "
            + "MANIFEST records, backups) can be read again. The family stays, empty, with a fresh key. Irreversible: needs --yes.");
        cmd.Arguments.Add(db);
        foreach (var o in new Option[] { cf, scope, yes }) cmd.Options.Add(o);
        cmd.SetAction(r => Guard.Run(() =>
        {
            if (r.GetValue(scope) is not null)
                throw new UsageException("--scope is not supported yet: this engine can only shred a whole column family (LatticeDb.ShredColumnFamily). Nothing was changed.");
            if (!r.GetValue(yes))
                throw new UsageException($"shredding destroys every key of column family '{r.GetValue(cf)}': its data can never be read again. Add --yes to do it. Nothing was changed.");
            using var database = Common.Open(r.GetValue(db)!, r);
            var family = Common.Family(database, r.GetValue(cf));
            database.ShredColumnFamily(family);
            Terminal.Out.MarkupLine($"column family [bold]{Markup.Escape(family.Name)}[/] shredded: its keys are destroyed and it is empty; new writes are sealed with key generation "
                + Markup.Escape(database.GetProperty(family, "lattice.encryption.key-generation") ?? "?"));
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
