using System.CommandLine;
using LatticeKV.Tool.Cli;
using Spectre.Console;

namespace LatticeKV.Tool.Commands;

/// <summary><c>lkv rekey DB --cf NAME</c>: starts a new key generation for an encrypted column family (LatticeDb.RotateEncryptionKey).</summary>
public static class RekeyCommand
{
    public static Command Create()
    {
        var db = Common.Db();
        var cf = new Option<string>("--cf") { Description = "The encrypted column family to rekey.", Required = true };
        var compact = new Option<bool>("--compact") { Description = "Rewrite every table of the family under the new key now (a full compaction), instead of in the background of later opens." };
        var cmd = new Command("rekey", "Start a new key generation for an encrypted column family: new tables are sealed with a fresh key at once, older ones are "
            + "re-encrypted by background compaction (or now, with --compact), and the old key is destroyed once nothing needs it. Prints the table bytes per key generation.");
        cmd.Arguments.Add(db);
        cmd.Options.Add(cf);
        cmd.Options.Add(compact);
        cmd.SetAction(r => Guard.Run(() =>
        {
            using var database = Common.Open(r.GetValue(db)!, r);
            var family = Common.Family(database, r.GetValue(cf));
            database.RotateEncryptionKey(family);
            if (r.GetValue(compact))
            {
                database.CompactRange(family);
                database.WaitForCompactions();
            }
            Terminal.Out.MarkupLine($"column family [bold]{Markup.Escape(family.Name)}[/]: new tables are sealed with key generation "
                + Markup.Escape(database.GetProperty(family, "lattice.encryption.key-generation") ?? "?"));
            Terminal.Out.MarkupLine("table bytes per key generation: " + Markup.Escape(BytesPerGeneration(database, family)));
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    /// <summary>"gen1=N gen2=N", or "no tables yet".</summary>
    public static string BytesPerGeneration(LatticeDb database, ColumnFamilyHandle family)
        => database.GetProperty(family, "lattice.encryption.bytes-per-generation") is { Length: > 0 } text ? text : "no tables yet";
}
