using System.CommandLine;
using System.Globalization;
using LatticeKV.Tool.Cli;
using Spectre.Console;

namespace LatticeKV.Tool.Backups;

/// <summary>
/// <c>lkv backup restore BACKUPDIR DBDIR</c> (and <c>lkv restore</c>): a backup whole
/// (<c>--id</c>, <c>--latest</c>), or the state at a moment or sequence number from the backups
/// and archived logs (<c>--time</c>, <c>--sequence</c>). The database appears whole or not at all.
/// </summary>
public static class BackupRestoreCommand
{
    public static Command Create(string name)
    {
        var dir = BackupDirectory.Argument();
        var target = new Argument<string>("db") { Description = "Directory to restore into: must not exist, or be empty." };
        var id = new Option<int?>("--id") { Description = "Restore this backup." };
        var latest = new Option<bool>("--latest") { Description = "Restore the newest backup that verifies (the default)." };
        var time = new Option<string?>("--time")
        {
            Description = "Restore the state at this moment (ISO 8601, e.g. 2026-12-01T10:00Z; without an offset, local time): "
                + "the newest backup before it and the logs archived since, replayed to the last write committed at or before it.",
        };
        var sequence = new Option<ulong?>("--sequence") { Description = "Restore the state after this sequence number (rounded down to the end of its write group)." };
        var json = Common.Json();
        var lockTimeout = BackupDirectory.LockTimeout();
        var cmd = new Command(name, "Restore from BACKUPDIR into DB, which must not exist or be empty: the database is built beside it "
            + "(DB.restore-tmp-*) and renamed into place only when complete, so it appears whole or not at all. A restored database is a new timeline "
            + "of the original; an encrypted one opens with the original's key, which --time and --sequence also need (they read the logs). "
            + "Exit codes: 0 restored, 2 DB not empty, 3 no such backup or no backup reaches the time or sequence, 6 the backup is damaged.");
        cmd.Arguments.Add(dir);
        cmd.Arguments.Add(target);
        foreach (var o in new Option[] { id, latest, time, sequence, json, lockTimeout }) cmd.Options.Add(o);
        cmd.SetAction(r => BackupDirectory.Run(r.GetValue(dir)!, () =>
        {
            int chosen = (r.GetValue(id) is null ? 0 : 1) + (r.GetValue(latest) ? 1 : 0) + (r.GetValue(time) is null ? 0 : 1) + (r.GetValue(sequence) is null ? 0 : 1);
            if (chosen > 1) throw new UsageException("give at most one of --id, --latest, --time and --sequence.");
            DateTimeOffset? at = r.GetValue(time) is { } text ? ParseTime(text) : null;
            string into = Path.GetFullPath(r.GetValue(target)!);
            BackupDirectory.RequireApart(r.GetValue(dir)!, into);
            var (info, last) = BackupProgressBar.Run<(BackupInfo? Info, ulong? Last)>("restore", progress =>
            {
                using var engine = BackupDirectory.Open(r.GetValue(dir)!, r, lockTimeout, create: false, progress);
                if (r.GetValue(id) is { } one) return (engine.RestoreBackup(BackupDirectory.Find(engine, one).Id, into), null);
                if (at is null && r.GetValue(sequence) is null)
                {
                    if (engine.ListBackups().Count == 0) throw new ExitException($"there are no backups in '{engine.Location}'.", ExitCodes.DbNotFound);
                    return (engine.RestoreLatestBackup(into), null);
                }
                // Only an encrypted database's logs need the key to be replayed; a key in the environment is ignored otherwise.
                var encryption = engine.ListBackups().Any(b => b.Encrypted) ? KeyOptions.From(r) : null;
                using var replaying = BackupDirectory.Open(r.GetValue(dir)!, r, lockTimeout, create: false, progress, encryption);
                return (null, at is { } moment ? replaying.RestoreToPointInTime(into, moment) : replaying.RestoreToSequence(into, r.GetValue(sequence)!.Value));
            });
            ulong restored = last ?? info!.Sequence;
            if (r.GetValue(json))
            {
                BackupJson.Write(new()
                {
                    ["directory"] = into,
                    ["sequence"] = restored,
                    ["backup"] = info is null ? null : BackupJson.Info(info),
                });
            }
            else
            {
                string what = info is null ? "" : string.Create(CultureInfo.InvariantCulture, $"backup [bold]{info.Id}[/] ({BackupJson.Time(info.Timestamp)}), ");
                Terminal.Out.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"restored {what}sequence {restored}, into {Markup.Escape(into)}"));
                if (info?.Encrypted == true) Terminal.Out.MarkupLine("the database is encrypted: it opens with the original's key.");
            }
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    /// <summary>An ISO 8601 time; without an offset, the machine's local time.</summary>
    public static DateTimeOffset ParseTime(string text)
        => DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces | DateTimeStyles.AssumeLocal, out var t)
            ? t
            : throw new UsageException($"--time '{text}' is not a time: give ISO 8601, e.g. 2026-12-01T10:00Z or 2026-12-01T11:00+01:00.");
}
