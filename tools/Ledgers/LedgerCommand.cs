using System.CommandLine;
using LatticeKV.Ledger;
using LatticeKV.Tool.Cli;

namespace LatticeKV.Tool.Ledgers;

/// <summary>
/// <c>lkv ledger append|balance|history|proof|verify|checkpoint DB ...</c>: the ledger of a
/// database (README, "Ledger"). Every subcommand writes JSON with <c>--json</c>; <c>verify</c>
/// exits with <see cref="ExitCodes.VerifyLedgerInconsistent"/> when anything disagrees.
/// </summary>
public static class LedgerCommand
{
    public static Command Create()
    {
        var cmd = new Command("ledger", "The ledger: append transactions, read balances and history, Merkle proofs, signed checkpoints, verification.");
        foreach (var sub in new[]
        {
            LedgerAppendCommand.Create(), LedgerReadCommands.Balance(), LedgerReadCommands.History(),
            LedgerProofCommand.Create(), LedgerVerifyCommand.Create(), LedgerReadCommands.Checkpoint(),
        })
        {
            cmd.Subcommands.Add(sub);
        }
        return cmd;
    }

    /// <summary>Opens the database (writable: the ledger folds what sync stored) and its ledger; the caller disposes both.</summary>
    internal static (LatticeDb Db, LatticeKV.Ledger.Ledger Ledger) Open(string path, ParseResult r)
    {
        var db = Common.Open(path, r);
        try
        {
            return (db, LatticeKV.Ledger.Ledger.Open(db));
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    internal static Option<string> Chain() => new("--chain") { Description = "The chain id (for example bitcoin).", Required = true };

    /// <summary>Runs <paramref name="action"/> with the ledger open, mapping the ledger's own errors to exit codes.</summary>
    internal static int Run(ParseResult r, Argument<string> db, Func<LatticeKV.Ledger.Ledger, int> action) => Guard.Run(() =>
    {
        var (database, ledger) = Open(r.GetValue(db)!, r);
        try
        {
            return action(ledger);
        }
        catch (LedgerArgumentException ex)
        {
            throw new UsageException(ex.Message);
        }
        catch (LedgerConflictException ex)
        {
            throw new ExitException(ex.Message, ExitCodes.LedgerConflict);
        }
        finally
        {
            ledger.Dispose();
            database.Dispose();
        }
    });
}
