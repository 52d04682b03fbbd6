using System.Globalization;
using LatticeKV.Crypto;
using LatticeKV.Db;
using LatticeKV.Io;
using LatticeKV.Wal;

namespace LatticeKV.Backup;

/// <summary>
/// Restores the state at a sequence number or a moment (<see cref="BackupEngine.RestoreToSequence"/>,
/// <see cref="BackupEngine.RestoreToPointInTime"/>): the newest backup at or before the target,
/// then the write-ahead logs of its timeline (archived whole or as pieces, or the longest prefix a later backup
/// copied), replayed by the restored database at its next open. The last log is cut after the
/// last whole write group at or before the target: the result is exactly the state after one
/// commit. Sequence numbers run without gaps from format 3, so a missing log is seen, not skipped.
/// </summary>
internal static class PointInTimeRestore
{
    public readonly record struct Target(ulong? Sequence, long? TimeMs)
    {
        public override string ToString() => Sequence is { } s
            ? "sequence " + s.ToString(CultureInfo.InvariantCulture)
            : DateTimeOffset.FromUnixTimeMilliseconds(TimeMs!.Value).ToString("O", CultureInfo.InvariantCulture);
    }

    /// <summary>Restores and returns the last sequence number the restored database holds.</summary>
    public static ulong Restore(IBackupStorage storage, List<BackupDescriptor> backups, Target target, string directory, EncryptionOptions? encryption,
        Action<BackupProgress>? progress, CancellationToken cancel)
    {
        if (backups.Count == 0) throw new InvalidArgumentException($"There are no backups in '{storage.Location}'.", nameof(backups));
        string dbId = backups.OrderBy(b => b.TimestampMs).ThenBy(b => b.Id).Last().DatabaseId;
        var ofDb = backups.Where(b => b.DatabaseId == dbId).ToList();
        var base_ = ofDb.Where(b => target.Sequence is { } s ? b.Sequence <= s : b.TimestampMs <= target.TimeMs!.Value)
            .OrderBy(b => target.Sequence is not null ? (long)Math.Min(b.Sequence, long.MaxValue) : b.TimestampMs).ThenBy(b => b.Id).LastOrDefault()
            ?? throw new InvalidArgumentException($"No backup of database {dbId} holds a state at or before {target}: the oldest is backup {ofDb.Min(b => b.Id)}.", nameof(target));
        if (base_.Encrypted && encryption is null)
            throw new EncryptionKeyException("a point-in-time restore of an encrypted database reads its logs: BackupOptions.Encryption must hold its master key");
        // Later logs may be sealed under metadata keys created after the base: the newest registry has them all.
        var newestRegistry = ofDb.OrderBy(b => b.Id).Last();

        var fs = RealFileSystem.Instance;
        using var dir = new RestoreDirectory(fs, directory);
        BackupRestorer.CopyFiles(storage, base_, dir, skipLogs: true, registryFrom: base_.Encrypted ? newestRegistry : null, progress, cancel);
        var sources = LogSources(storage, ofDb, base_);
        ulong reached = ReplayPlan(storage, fs, dir, sources, base_, target, encryption, cancel);
        dir.Commit();
        return reached;
    }

    /// <summary>For each log from the base backup's first: the archived copy, else the longest copy any backup of the timeline holds.</summary>
    private static SortedDictionary<long, BackupFileEntry> LogSources(IBackupStorage storage, List<BackupDescriptor> backups, BackupDescriptor base_)
    {
        long first = LogArchive.FirstLog(base_);
        var sources = new SortedDictionary<long, BackupFileEntry>();
        foreach (var b in backups.Where(b => b.Timeline == base_.Timeline))
            foreach (var f in b.Files.Where(f => f.Kind == "log"))
                if (FileNames.Parse(f.Name, out long n) == DbFileKind.Log && n >= first
                    && (!sources.TryGetValue(n, out var have) || have.Size < f.Size)) sources[n] = f;
        foreach (var (n, archived) in LogArchive.List(storage, base_.Timeline, from: first))
            sources[n] = archived;
        return sources;
    }

    private static ulong ReplayPlan(IBackupStorage storage, IFileSystem fs, RestoreDirectory dir, SortedDictionary<long, BackupFileEntry> sources,
        BackupDescriptor base_, Target target, EncryptionOptions? encryption, CancellationToken cancel)
    {
        using var keys = encryption is null ? null : KeyRegistry.Open(new LogFramedRecords(fs), dir.Temp, encryption.Source);
        ulong last = 0;           // the last sequence replayed so far (0: none seen)
        bool stopped = false;
        string? gap = null;
        foreach (var (number, source) in sources)
        {
            string path = dir.FileFor(source.Name);
            if (stopped)
            {
                dir.Delete(source.Name);
                continue;
            }
            if (source.Checksum != 0) StorageCopy.Download(storage, source, fs, path, null, cancel);
            else StorageCopy.DownloadUnchecked(storage, source.StoredPath, fs, path, cancel);
            long keepBytes = 0;
            using (var file = fs.OpenRead(path))
            {
                var reader = new LogReader(file);
                using var opener = SealedRecordOpener.For(keys, FileKeyKind.Log, number, path);
                int issues = 0;
                while (reader.ReadRecord(out var logged, out long offset))
                {
                    if (reader.Issues.Count > issues) { gap = $"log {source.Name} is damaged at offset {reader.Issues[issues].Offset}"; stopped = true; break; }
                    if (opener is not null && opener.TakeLogHeader(logged, offset)) continue;
                    var record = opener is null ? logged : opener.Open(logged, offset);
                    var header = new WriteBatchReader(record);
                    if (header.Count == 0) { keepBytes = reader.LastRecordEnd; continue; }
                    ulong end = header.Sequence + (ulong)header.Count - 1;
                    if (header.Sequence > (last > 0 ? last : base_.Sequence) + 1)
                    {
                        gap = $"sequence numbers {last + 1}..{header.Sequence - 1} are in no archived log";
                        stopped = true;
                        break;
                    }
                    bool include = end <= base_.Sequence || (target.Sequence is { } s ? end <= s : (header.CommitTimeMs ?? long.MinValue) <= target.TimeMs!.Value);
                    if (!include) { stopped = true; break; }
                    last = Math.Max(last, end);
                    keepBytes = reader.LastRecordEnd;
                }
                if (!stopped && reader.Issues.Count > issues) { gap = $"log {source.Name} ends damaged"; stopped = true; }
            }
            if (keepBytes < fs.GetFileSize(path))
            {
                string cut = path + ".cut";
                FileCopy.Copy(fs, path, fs, cut, keepBytes, cancel: cancel);
                fs.RenameFile(cut, path);
            }
        }
        last = Math.Max(last, base_.Sequence);
        if (target.Sequence is { } wanted && last < wanted)
        {
            // A sequence inside a write group is not a state the database was ever in: round down to the group before.
            if (!(stopped && gap is null))
                throw new InvalidArgumentException($"Sequence {wanted} cannot be restored: the backups and archived logs reach sequence {last}" + (gap is null ? "." : $" ({gap})."), "sequence");
        }
        return last;
    }
}
