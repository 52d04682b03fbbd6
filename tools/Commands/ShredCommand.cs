using System.CommandLine;
using LatticeKV.Tool.Cli;
using Spectre.Console;

namespace LatticeKV.Tool.Commands;

/// <summary><c>lkv shred DB --cf NAME [--scope S] --yes</c>: crypto-shreds an encrypted column family (LatticeDb.ShredColumnFamily), or one scope of a scoped one (LatticeDb.ShredScope).</summary>
public static class ShredCommand
{
    public static Command Create()
    {
        var db = Common.Db();
        var cf = new Option<string>("--cf") { Description = "The encrypted column family to shred.", Required = true };
        var scope = new Option<string?>("--scope")
        {
            Description = "Shred only the values of one scope (as text, UTF-8) of a family with an EncryptionScope: they read as deleted everywhere; its other scopes stay.",
        };
        var yes = new Option<bool>("--yes") { Description = "Confirm: the family's data can never be read again, here or in any copy or backup." };
        var cmd = new Command("shred", "Crypto-shred an encrypted column family: every key that sealed its data is destroyed, so no copy of that data (tables, logs, "
            + "MANIFEST records, backups) can be read again. The family stays, empty, with a fresh key. Irreversible: needs --yes.");
        cmd.Arguments.Add(db);
        foreach (var o in new Option[] { cf, scope, yes }) cmd.Options.Add(o);
        cmd.SetAction(r => Guard.Run(() =>
        {
            string? scopeText = r.GetValue(scope);
            if (scopeText is { Length: 0 }) throw new UsageException("--scope must not be empty. Nothing was changed.");
            if (!r.GetValue(yes))
                throw new UsageException($"shredding destroys {(scopeText is null ? "every key of column family" : "the keys of a scope of column family")} '{r.GetValue(cf)}': that data can never be read again. Add --yes to do it. Nothing was changed.");
            if (scopeText is not null)
            {
                // Checked read-only first, so a refused request changes no file.
                using var reader = Common.OpenReadOnly(r.GetValue(db)!, r);
                var readFamily = Common.Family(reader, r.GetValue(cf));
                if (!reader.HasScopes(readFamily))
                    throw new UsageException($"column family '{readFamily.Name}' has no EncryptionScope: it has no scopes to shred. Nothing was changed.");
            }
            using var database = Common.Open(r.GetValue(db)!, r);
            var family = Common.Family(database, r.GetValue(cf));
            if (scopeText is not null)
            {
                database.ShredScope(family, System.Text.Encoding.UTF8.GetBytes(scopeText));
                Terminal.Out.MarkupLine($"scope shredded in column family [bold]{Markup.Escape(family.Name)}[/]: its values read as deleted everywhere; compaction removes their keys");
                return ExitCodes.Ok;
            }
            database.ShredColumnFamily(family);
            Terminal.Out.MarkupLine($"column family [bold]{Markup.Escape(family.Name)}[/] shredded: its keys are destroyed and it is empty; new writes are sealed with key generation "
                + Markup.Escape(database.GetProperty(family, "lattice.encryption.key-generation") ?? "?"));
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
