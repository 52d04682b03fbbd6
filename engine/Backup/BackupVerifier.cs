namespace LatticeKV.Backup;

/// <summary>
/// Checks a backup's files against its descriptor: presence and size of every stored file (each
/// piece of a log stored in pieces), and checksums when asked (each piece's and the whole log's).
/// </summary>
internal static class BackupVerifier
{
    public static void Verify(IBackupStorage storage, BackupDescriptor backup, bool checksums, Action<BackupProgress>? progress, CancellationToken cancel)
    {
        var problems = new List<(string Path, string What)>();
        long total = checksums ? backup.Size : 0, done = 0;
        int filesDone = 0;
        foreach (var f in backup.Files)
        {
            if (checksums)
            {
                if (StorageCopy.Check(storage, f, n =>
                    {
                        done += n;
                        progress?.Invoke(new BackupProgress("verify", done, total, filesDone, backup.Files.Count));
                    }, cancel) is { } problem) problems.Add((problem.Path, problem.What));
            }
            else
            {
                foreach (var part in f.Parts)
                {
                    try { if (storage.GetSize(part.Path) != part.Size) problems.Add((part.Path, "size differs from the recorded one")); }
                    catch (FileNotFoundException) { problems.Add((part.Path, "is missing")); }
                }
            }
            filesDone++;
            progress?.Invoke(new BackupProgress("verify", done, total, filesDone, backup.Files.Count));
        }
        if (problems.Count > 0)
        {
            var (path, first) = problems[0];
            throw new CorruptionException($"backup {backup.Id}: {problems.Count} damaged file(s); first {path}: {first}", storage.Location + "/" + path);
        }
    }
}
