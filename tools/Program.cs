using System.CommandLine;
using LatticeKV.Tool.Cli;
using LatticeKV.Tool.Commands;

namespace LatticeKV.Tool;

/// <summary>The lkv command line: a thin shell over command classes, each a library function.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("lkv: use, inspect, verify, repair and stress LatticeKV databases. Exit codes are listed in README.md.");
        foreach (var command in new[]
        {
            DemoCommand.Create(), GetCommand.Create(), PutCommand.Create(), DeleteCommand.Create(), ScanCommand.Create(),
            DumpCommand.Create(), InspectCommand.Create(), VerifyCommand.Create(), RepairCommand.Create(), CompactCommand.Create(),
            StatsCommand.Create(), RekeyCommand.Create(), ShredCommand.Create(), ChangePassphraseCommand.Create(),
            TortureCommand.Create(), CrashChildCommand.Create(), MergeCrashChildCommand.Create(), ArchiveChildCommand.Create(), ForeignKeyCrashChildCommand.Create(), LedgerCrashChildCommand.Create(), TransferChildCommand.Create(), ChangesChildCommand.Create(), SyncChildCommand.Create(), LedgerSyncChildCommand.Create(),
            CheckpointCommand.Create(), BackupCommand.Create(), Backups.BackupRestoreCommand.Create("restore"),
            Indexes.IndexCommand.Create(), Indexes.QueryCommand.Create(), Indexes.SearchCommand.Create(),
            Replication.ChangesCommand.Create(), Sync.ServeCommand.Create(), Sync.SyncCommand.Create(), Sync.SyncStatusCommand.Create(),
            Sync.ConflictsCommand.Create(), Sync.QuarantineCommand.Create(), SyncIdentityCommand.Create(), EventsCommand.Create(), Ledgers.LedgerCommand.Create(), Migrate.MigrateCommand.Create(), Migrate.MigrateChildCommand.Create(),
        })
        {
            root.Subcommands.Add(command);
        }
        root.Options.Add(KeyOptions.PassphraseFile);
        root.Options.Add(KeyOptions.KeyFile);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0 && parse.Action is System.CommandLine.Invocation.ParseErrorAction)
        {
            foreach (var error in parse.Errors) Terminal.Error(error.Message);
            Console.Error.WriteLine($"Run '{string.Join(' ', ["lkv", .. CommandPath(parse)])} --help' for usage.");
            return ExitCodes.Usage;
        }
        return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
    }

    private static IEnumerable<string> CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var r = parse.CommandResult; r.Parent is System.CommandLine.Parsing.CommandResult parent; r = parent) names.Insert(0, r.Command.Name);
        return names;
    }
}
