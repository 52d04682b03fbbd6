using System.CommandLine;
using System.Text;
using LatticeKV.Tool.Cli;

namespace LatticeKV.Tool.Migrate;

/// <summary>
/// <c>lkv migrate-child DB</c>: opens the ledger test database with its two migrations (accounts
/// version 1, then the split of "name" into "first" and "last") and prints a line per committed
/// batch: the process the migration kill tests SIGKILL (not meant for people).
/// </summary>
public static class MigrateChildCommand
{
    public static Command Create()
    {
        var db = Common.Db();
        var dieAfter = new Option<int>("--die-after-writes") { Description = "SIGKILL this process right after the migration's Nth write (0: never)." };
        var audit = new Option<bool>("--audit") { Description = "Also write one record under a fresh random id per account to the family \"audit\" (a step whose output differs when repeated)." };
        var cmd = new Command("migrate-child", "Open the ledger test database with its migrations, printing B lines per committed batch (used by migration kill tests).") { Hidden = true };
        cmd.Arguments.Add(db);
        cmd.Options.Add(dieAfter);
        cmd.Options.Add(audit);
        cmd.SetAction(r => Guard.Run(() =>
        {
            int writes = 0, dieAt = Require.AtLeast(r.GetValue(dieAfter), 0, "--die-after-writes");
            // An encrypted ledger opens with the key the command line gives (--key-file).
            using var database = Common.Open(r.GetValue(db)!, r, configure: options =>
            {
                options.OnMigrationProgress = p => Console.Out.WriteLine($"B {p.Phase} {p.EntriesDone}");
                if (dieAt > 0) options.TestHooks = new Db.TestHooks { AfterMigrationWrite = () => { if (++writes == dieAt) System.Diagnostics.Process.GetCurrentProcess().Kill(); } };
                if (options.Encryption is not null) options.ColumnFamilyOptions["accounts"] = new ColumnFamilyOptions { Encrypted = true };
                options.Migrations.Add(new Migration("accounts", 0, 1, "accounts v1", _ => { }));
                options.Migrations.Add(r.GetValue(audit) ? SplitWithAudit() : MigrationSteps.TransformValues("accounts", 1, 2, (_, value) => SplitName(value), "split name"));
            });
            Console.Out.WriteLine("DONE");
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    /// <summary>The split, plus an audit record under a new random id per account: an entry applied twice leaves two.</summary>
    private static Migration SplitWithAudit() => new("accounts", 1, 2, "split name", ctx =>
    {
        var accounts = ctx.Family("accounts");
        var log = ctx.CreateFamily("audit");
        ctx.ForEach(accounts, (key, value, writer) =>
        {
            writer.Put(accounts, key, SplitName(value));
            writer.Put(log, Guid.NewGuid().ToByteArray(), key);
        });
    });

    /// <summary>"name=First Last;rest" becomes "first=First;last=Last;rest".</summary>
    public static byte[] SplitName(ReadOnlySpan<byte> value)
    {
        string text = Encoding.UTF8.GetString(value);
        int end = text.IndexOf(';', StringComparison.Ordinal);
        string name = text[5..end];
        int space = name.IndexOf(' ', StringComparison.Ordinal);
        return Encoding.UTF8.GetBytes($"first={name[..space]};last={name[(space + 1)..]}{text[end..]}");
    }
}
