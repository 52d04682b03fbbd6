using System.Globalization;
using System.Runtime.CompilerServices;
using LatticeKV.Db;

namespace LatticeKV.Backup;

/// <summary>
/// Takes one backup (<see cref="BackupEngine.CreateBackup(LatticeDb, string?)"/>). Tables and blob files go to <c>shared/</c> once
/// each, under a name that binds database id, number, size and checksum; the live logs there too,
/// as pieces each backup extends (<see cref="LogPieces"/>); everything else (the MANIFEST,
/// CURRENT, OPTIONS, IDENTITY, the key registry, an empty log) to <c>private/ID/</c>; the
/// descriptor's rename into <c>meta/</c> commits the backup. A run killed before that leaves only
/// files <see cref="BackupCollector"/> removes.
/// </summary>
internal static class BackupCreator
{
    /// <summary>
    /// Takes a backup of <paramref name="db"/>; <paramref name="catalog"/> is the store's committed
    /// backups (read by the caller under the exclusive lock).
    /// </summary>
    [MethodImpl(BackupCodegen.FewCallsPerBackup)]
    public static BackupDescriptor Create(IBackupStorage storage, LatticeDb db, IReadOnlyList<BackupDescriptor> catalog, string? metadata, long bytesPerSecond,
        Action<BackupProgress>? progress, CancellationToken cancel)
    {
        // Taking the set of files stops writers for a moment, and releasing it may purge files under
        // the database's mutex: both run on a thread-pool thread, at normal priority, so that a
        // backup thread at a lower one, preempted there by other work, never holds writers back.
        var live = OnNormalPriority(db.CaptureLiveFiles);
        try
        {
            var descriptor = Create(storage, live, catalog, metadata, db.LogPrefixHashes, bytesPerSecond, progress, cancel);
            db.LogPrefixHashes.KeepOnly(live.Files.Where(f => f.Kind == LiveFileKind.Log).Select(f => f.Number).ToHashSet());
            return descriptor;
        }
        finally
        {
            OnNormalPriority(() => { live.Dispose(); return 0; });
        }
    }

    private static T OnNormalPriority<T>(Func<T> work) => Task.Run(work).GetAwaiter().GetResult();

    [MethodImpl(BackupCodegen.FewCallsPerBackup)]
    public static BackupDescriptor Create(IBackupStorage storage, LiveFileSet live, IReadOnlyList<BackupDescriptor> catalog, string? metadata, LogPrefixHashes? known,
        long bytesPerSecond, Action<BackupProgress>? progress, CancellationToken cancel)
    {
        int id = BackupCatalog.NextId(storage);
        string privateFolder = BackupDescriptor.PrivateFolder(id);
        string dbId = live.Identity.DatabaseIdHex;
        long total = live.Files.Sum(f => f.Length), done = 0, newBytes = 0;
        int filesDone = 0;
        void Advance(long n) { done += n; progress?.Invoke(new BackupProgress("backup", done, total, filesDone, live.Files.Count)); }
        // Bytes read or copied, as opposed to those found stored already: these are held to the rate.
        var pacer = BackupPacer.For(bytesPerSecond, cancel);
        Action<long> copied = pacer is null ? Advance : n => { Advance(n); pacer.Copied(n); };

        var entries = new List<BackupFileEntry>();
        var tally = new BackupTally();
        var heldLogs = LogPieces.Held(catalog, dbId);
        foreach (var file in live.Files)
        {
            cancel.ThrowIfCancellationRequested();
            if (file.Kind is LiveFileKind.Table or LiveFileKind.Blob)
            {
                long before = newBytes;
                var shared = UploadShared(storage, live, file, dbId, id, Advance, copied, ref newBytes, cancel);
                tally.NewTableBytes += newBytes - before;
                entries.Add(new BackupFileEntry(file.Name, shared.RelativePath, KindName(file.Kind), file.Length, shared.Checksum));
            }
            else if (file.Kind == LiveFileKind.Log && file.Length > 0 && file.SourcePath is not null)
            {
                entries.Add(LogPieces.Store(storage, live, file, dbId, id, heldLogs.GetValueOrDefault(file.Name), known, Advance, copied, ref newBytes, tally, cancel));
            }
            else
            {
                string path = privateFolder + "/" + file.Name;
                ulong checksum = file.Contents is { } contents
                    ? StorageCopy.UploadBytes(storage, path, file.Kind == LiveFileKind.Identity ? live.Identity.Encode() : contents)
                    : StorageCopy.Upload(live.FileSystem, file.SourcePath!, file.Length, storage, path, copied, cancel);
                if (file.Contents is not null) Advance(file.Length);
                newBytes += file.Length;
                entries.Add(new BackupFileEntry(file.Name, path, KindName(file.Kind), file.Length, checksum));
            }
            filesDone++;
        }
        var descriptor = new BackupDescriptor
        {
            Id = id,
            TimestampMs = live.Time.ToUnixTimeMilliseconds(),
            Sequence = live.Sequence,
            DatabaseId = dbId,
            Timeline = live.Identity.TimelineHex,
            Encrypted = live.Encrypted,
            Metadata = metadata,
            NewBytes = newBytes,
            Files = entries,
            Tally = tally,
        };
        string final = BackupDescriptor.PathOf(id);
        StorageCopy.UploadBytes(storage, final + ".tmp", descriptor.Encode());
        storage.Rename(final + ".tmp", final);
        return descriptor;
    }

    /// <summary>
    /// Puts a table or blob file into <c>shared/</c> unless a backup already holds it, checking the
    /// copy against the XXH3-64 recorded when the file was written (computed by reading it when
    /// the MANIFEST has none); returns its shared name.
    /// </summary>
    private static SharedTableName UploadShared(IBackupStorage storage, LiveFileSet live, LiveFile file, string dbId, int id, Action<long> advance,
        Action<long> copied, ref long newBytes, CancellationToken cancel)
    {
        string what = file.Kind == LiveFileKind.Blob ? "blob file" : "table";
        ulong recorded = file.Kind == LiveFileKind.Blob ? file.BlobFile!.Checksum : file.Table!.Checksum;
        ulong checksum = recorded != 0 ? recorded
            : FileCopy.Checksum(live.FileSystem, file.SourcePath!, file.Length, cancel)
              ?? throw new CorruptionException($"{what} is not the {file.Length} bytes the MANIFEST records", file.SourcePath, -1);
        var shared = new SharedTableName(dbId, file.Number, file.Length, checksum, file.Kind == LiveFileKind.Blob);
        if (StorageCopy.IsStored(storage, shared.RelativePath, file.Length))
        {
            advance(file.Length);
            return shared;
        }
        string temp = shared.RelativePath + ".tmp-" + id.ToString(CultureInfo.InvariantCulture);
        ulong stored = StorageCopy.Upload(live.FileSystem, file.SourcePath!, file.Length, storage, temp, copied, cancel);
        if (stored != checksum)
        {
            storage.Delete(temp);
            throw new CorruptionException($"{what} does not match the checksum recorded when it was written: it was damaged since (restore it from a backup or run repair)", file.SourcePath, 0);
        }
        storage.Rename(temp, shared.RelativePath);
        newBytes += file.Length;
        return shared;
    }

    public static string KindName(LiveFileKind kind) => kind switch
    {
        LiveFileKind.Table => "table",
        LiveFileKind.Log => "log",
        LiveFileKind.Manifest => "manifest",
        LiveFileKind.Current => "current",
        LiveFileKind.Options => "options",
        LiveFileKind.Identity => "identity",
        LiveFileKind.KeyRegistry => "key-registry",
        LiveFileKind.Blob => "blob",
        _ => "other",
    };
}
