using System.Text;

namespace LatticeKV.Tool.Crash;

/// <summary>
/// The process the log-archive kill tests kill: a database with automatic backups (taken only
/// when asked: one at open, the base) archiving every log it retires to <c>BACKUPS</c>, written
/// to until killed. Prints <c>A</c> when an archive's temporary file is complete (just before
/// its rename) and <c>W SEQ</c> every hundred writes. With <c>dieAt</c> = N it kills itself at the
/// Nth <c>A</c>: between an archive being written and it being renamed into place. With
/// <c>dieAfter</c> = N it kills itself once the Nth retired log is archived, before the database
/// deletes it: the reopened database archives that log again.
/// </summary>
public static class ArchiveChild
{
    public static byte[] Key(long i) => Encoding.ASCII.GetBytes($"k{i % 997:D4}");

    public static byte[] Value(long i) => Encoding.ASCII.GetBytes($"v{i}-" + new string('x', 100));

    /// <summary>The child's options: a small write buffer (many logs), archiving by link unless <paramref name="copy"/> makes linking fail.</summary>
    public static DbOptions Options(string backups, bool copy, Action<string>? archiveWritten = null, Action<long>? archived = null) => new()
    {
        WriteBufferSize = 32 * 1024,
        AutoBackup = copy
            ? new AutoBackupOptions { Storage = new FileSystemBackupStorage(backups) { HardLink = (_, _) => false }, Interval = TimeSpan.FromDays(1) }
            : new AutoBackupOptions { Directory = backups, Interval = TimeSpan.FromDays(1) },
        TestHooks = new Db.TestHooks { ManualAutoBackup = true, LogArchiveWritten = archiveWritten, LogArchived = archived },
    };

    public static int Run(string path, string backups, int dieAt, int dieAfter, bool copy, TextWriter output)
    {
        int archives = 0, archived = 0;
        var options = Options(backups, copy, _ =>
        {
            output.WriteLine("A");
            output.Flush();
            if (Interlocked.Increment(ref archives) == dieAt) System.Diagnostics.Process.GetCurrentProcess().Kill();
        }, _ =>
        {
            if (Interlocked.Increment(ref archived) == dieAfter) System.Diagnostics.Process.GetCurrentProcess().Kill();
        });
        using var db = LatticeDb.Open(path, options);
        if (db.RunAutoBackupNow(atOpen: true) is null) throw new InvalidOperationException("no base backup: " + db.AutoBackupService!.LastError);
        for (long i = 1; ; i++)
        {
            db.Put(Key(i), Value(i));
            if (i % 100 == 0)
            {
                output.WriteLine($"W {db.LatestSequenceNumber}");
                output.Flush();
            }
        }
    }
}
