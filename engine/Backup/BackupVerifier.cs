namespace LatticeKV.Backup;

/// <summary>Checks a backup's files against its descriptor: presence and size, and checksums when asked.</summary>
internal static class BackupVerifier
{
    public static void Verify(IBackupStorage storage, BackupDescriptor backup, bool checksums, Action<BackupProgress>? progress, CancellationToken cancel)
    {
        var problems = new List<(string Path, string What)>();
        long total = checksums ? backup.Size : 0, done = 0;
        int filesDone = 0;
        foreach (var f in backup.Files)
        {
            string? what;
            if (checksums)
            {
                what = StorageCopy.Check(storage, f.StoredPath, f.Size, f.Checksum, n =>
                {
                    done += n;
                    progress?.Invoke(new BackupProgress("verify", done, total, filesDone, backup.Files.Count));
                }, cancel);
            }
            else
            {
                try { what = storage.GetSize(f.StoredPath) == f.Size ? null : "size differs from the recorded one"; }
                catch (FileNotFoundException) { what = "missing"; }
            }
            if (what is not null) problems.Add((f.StoredPath, what));
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
