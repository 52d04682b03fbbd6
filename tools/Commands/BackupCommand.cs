using System.CommandLine;
using LatticeKV.Tool.Backups;

namespace LatticeKV.Tool.Commands;

/// <summary><c>lkv backup create|list|verify|restore|purge|delete|gc</c>: backups in a directory (BackupEngine).</summary>
public static class BackupCommand
{
    public static Command Create()
    {
        var cmd = new Command("backup", "Incremental backups in a directory: create, list, verify, restore (whole, or to a time or sequence number), "
            + "purge, delete, gc. Exit codes as in README.md; 4 while another process uses the directory.");
        foreach (var sub in new[]
        {
            BackupCreateCommand.Create(), BackupListCommand.Create(), BackupVerifyCommand.Create(), BackupRestoreCommand.Create("restore"),
            BackupPurgeCommand.Create(), BackupDeleteCommand.Create(), BackupGcCommand.Create(),
        })
        {
            cmd.Subcommands.Add(sub);
        }
        return cmd;
    }
}
