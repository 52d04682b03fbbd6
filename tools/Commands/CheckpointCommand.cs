using System.CommandLine;
using System.Globalization;
using LatticeKV.Tool.Backups;
using LatticeKV.Tool.Cli;
using Spectre.Console;

namespace LatticeKV.Tool.Commands;

/// <summary><c>lkv checkpoint DB DIR</c>: an openable copy of the database (LatticeDb.CreateCheckpoint).</summary>
public static class CheckpointCommand
{
    public static Command Create()
    {
        var db = Common.Db();
        var dir = new Argument<string>("dir") { Description = "Directory to write the checkpoint to: must not exist." };
        var json = Common.Json();
        var cmd = new Command("checkpoint", "Write a consistent, openable copy of the database to DIR (tables hard-linked where the file system allows, "
            + "copied otherwise); it appears whole or not at all. Prints the last sequence number it holds. An encrypted copy needs the same key.");
        cmd.Arguments.Add(db);
        cmd.Arguments.Add(dir);
        cmd.Options.Add(json);
        cmd.SetAction(r => Guard.Run(() =>
        {
            string target = Path.GetFullPath(r.GetValue(dir)!);
            BackupDirectory.RequireApart(r.GetValue(db)!, target);
            if (Path.Exists(target)) throw new UsageException($"'{target}' already exists; a checkpoint is written only to a new directory.");
            using var database = BackupSource.Open(r.GetValue(db)!, r);
            ulong sequence = database.CreateCheckpoint(target);
            if (r.GetValue(json)) BackupJson.Write(new() { ["directory"] = target, ["sequence"] = sequence });
            else Terminal.Out.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"checkpoint of sequence [bold]{sequence}[/] in {Markup.Escape(target)}"));
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
