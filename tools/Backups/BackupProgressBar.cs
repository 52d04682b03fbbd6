using LatticeKV.Tool.Cli;
using Spectre.Console;

namespace LatticeKV.Tool.Backups;

/// <summary>
/// A progress bar on standard error for a backup, verification or restore, when standard error
/// is a terminal; otherwise the work runs without one (output piped to a file stays clean).
/// </summary>
public static class BackupProgressBar
{
    /// <summary>
    /// Runs <paramref name="work"/>, handing it the callback for <see cref="BackupOptions.Progress"/>
    /// (null when no bar is shown). The bar is labelled with <paramref name="label"/> and the operation.
    /// </summary>
    public static T Run<T>(string label, Func<Action<BackupProgress>?, T> work)
    {
        if (!Terminal.CanShowProgress) return work(null);
        T result = default!;
        Terminal.Err.Progress().AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(label), maxValue: 1);
                result = work(p =>
                {
                    task.Description = Markup.Escape($"{p.Operation}: {p.FilesDone}/{p.FilesTotal} files");
                    task.MaxValue = Math.Max(1, p.BytesTotal);
                    task.Value = Math.Min(p.BytesDone, task.MaxValue);
                });
                task.Value = task.MaxValue;
            });
        return result;
    }
}
