using System.CommandLine;
using System.Globalization;
using LatticeKV.Tool.Cli;
using Spectre.Console;

namespace LatticeKV.Tool.Backups;

/// <summary>
/// <c>lkv backup verify BACKUPDIR [ID]</c>: checks one backup or all of them (BackupEngine.VerifyBackup).
/// Exit code 0 when every backup checked is whole, 6 when any is damaged (each is named).
/// </summary>
public static class BackupVerifyCommand
{
    public static Command Create()
    {
        var dir = BackupDirectory.Argument();
        var id = new Argument<int?>("id") { Description = "The backup to check (default: every backup).", Arity = ArgumentArity.ZeroOrOne };
        var noChecksums = new Option<bool>("--no-checksums") { Description = "Check only that every file is present with its recorded size (fast); by default every byte is read and checksummed." };
        var json = Common.Json();
        var lockTimeout = BackupDirectory.LockTimeout();
        var cmd = new Command("verify", "Check that every file of a backup (or of every backup) is present, of its recorded size and checksum. "
            + "Exit codes: 0 whole, 3 no such backup (or none at all), 6 damaged (every damaged backup is named).");
        cmd.Arguments.Add(dir);
        cmd.Arguments.Add(id);
        foreach (var o in new Option[] { noChecksums, json, lockTimeout }) cmd.Options.Add(o);
        cmd.SetAction(r => BackupDirectory.Run(r.GetValue(dir)!, () =>
        {
            bool checksums = !r.GetValue(noChecksums);
            var results = BackupProgressBar.Run("verify", progress =>
            {
                using var engine = BackupDirectory.Open(r.GetValue(dir)!, r, lockTimeout, create: false, progress);
                var ids = r.GetValue(id) is { } one ? [BackupDirectory.Find(engine, one).Id] : engine.ListBackups().Select(b => b.Id).ToList();
                if (ids.Count == 0) throw new ExitException($"there are no backups in '{engine.Location}' to verify.", ExitCodes.DbNotFound);
                return ids.Select(i => (Id: i, Problem: Verify(engine, i, checksums))).ToList();
            });
            int code = results.Any(x => x.Problem is not null) ? ExitCodes.Corruption : ExitCodes.Ok;
            if (r.GetValue(json))
            {
                BackupJson.Write(new()
                {
                    ["healthy"] = code == ExitCodes.Ok,
                    ["exit_code"] = code,
                    ["checksums"] = checksums,
                    ["backups"] = results.Select(x => new Dictionary<string, object?> { ["id"] = x.Id, ["ok"] = x.Problem is null, ["problem"] = x.Problem }).ToList(),
                });
            }
            else
            {
                foreach (var (i, problem) in results)
                {
                    string name = "backup " + i.ToString(CultureInfo.InvariantCulture);
                    Terminal.Out.MarkupLine(problem is null ? $"{name}: [green]ok[/]" : $"{name}: [red]damaged[/]: {Markup.Escape(problem)}");
                }
                Terminal.Out.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                    $"{results.Count(x => x.Problem is null)} of {results.Count} backups whole ({(checksums ? "every byte checksummed" : "presence and sizes only")})."));
            }
            return code;
        }));
        return cmd;
    }

    private static string? Verify(BackupEngine engine, int id, bool checksums)
    {
        try
        {
            engine.VerifyBackup(id, checksums);
            return null;
        }
        catch (CorruptionException ex)
        {
            return ex.Message;
        }
    }
}
