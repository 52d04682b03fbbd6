using System.Globalization;
using System.IO.Hashing;
using System.Runtime.CompilerServices;
using LatticeKV.Db;
using LatticeKV.Io;

namespace LatticeKV.Backup;

/// <summary>
/// Stores a live write-ahead log in a backup as pieces shared between backups (FORMAT.md §13,
/// descriptor format 2). A log only grows while it lives, so a later backup of the same log finds
/// an earlier backup's pieces as its first bytes: when the live file's first bytes still hash to
/// the checksum recorded for them, the backup stores only what was appended since (one new
/// piece) and lists the earlier pieces before it. Otherwise (no earlier backup holds the log, its
/// pieces are gone, or the bytes differ) it stores the log whole as one piece.
/// </summary>
internal static class LogPieces
{
    /// <summary>
    /// A log extended by every backup of a long life would gather pieces without end: a log held
    /// in this many is stored whole again (one piece) by the next backup.
    /// </summary>
    public const int MaxPieces = 64;

    /// <summary>The pieced log entries of a database's committed backups, by log name.</summary>
    [MethodImpl(BackupCodegen.FewCallsPerBackup)]
    public static Dictionary<string, List<BackupFileEntry>> Held(IEnumerable<BackupDescriptor> backups, string dbId)
    {
        var held = new Dictionary<string, List<BackupFileEntry>>(StringComparer.Ordinal);
        foreach (var b in backups.Where(b => b.DatabaseId == dbId))
            foreach (var f in b.Files.Where(f => f.Kind == "log" && f.Pieces is not null))
            {
                if (!held.TryGetValue(f.Name, out var list)) held[f.Name] = list = [];
                list.Add(f);
            }
        return held;
    }

    /// <summary>
    /// Stores the first <see cref="LiveFile.Length"/> bytes of a live log (not empty) for backup
    /// <paramref name="id"/> and returns its entry; <paramref name="held"/> are the entries earlier
    /// backups hold for the same log; <paramref name="known"/>, the prefixes this database already
    /// hashed (null: read the prefix to check it). Adds what it stored to <paramref name="newBytes"/> and <paramref name="tally"/>.
    /// <paramref name="advance"/> is told of bytes found stored already, <paramref name="copied"/> of bytes read or copied.
    /// </summary>
    public static BackupFileEntry Store(IBackupStorage storage, LiveFileSet live, LiveFile file, string dbId, int id, IReadOnlyList<BackupFileEntry>? held,
        LogPrefixHashes? known, Action<long> advance, Action<long> copied, ref long newBytes, BackupTally tally, CancellationToken cancel)
        => Extend(storage, live.FileSystem, file.SourcePath!, file.Number, file.Length, dbId, id.ToString(CultureInfo.InvariantCulture), held, known,
            wholeWithoutBasis: true, advance, copied, ref newBytes, tally, cancel)!;

    /// <summary>
    /// Stores the first <paramref name="length"/> bytes of log <paramref name="number"/> at
    /// <paramref name="source"/> as the longest held copy that is still its prefix plus one piece of
    /// the rest; without such a copy, as one whole piece when <paramref name="wholeWithoutBasis"/>,
    /// else nothing (returns null). <paramref name="tempTag"/> makes the piece's temporary name its writer's own.
    /// </summary>
    [MethodImpl(BackupCodegen.FewCallsPerBackup)]
    public static BackupFileEntry? Extend(IBackupStorage storage, IFileSystem fs, string source, long number, long length, string dbId, string tempTag,
        IReadOnlyList<BackupFileEntry>? held, LogPrefixHashes? known, bool wholeWithoutBasis, Action<long>? advance, Action<long>? copied, ref long newBytes,
        BackupTally tally, CancellationToken cancel)
    {
        var whole = new XxHash3();
        var pieces = new List<BackupPiece>();
        long start = 0;
        // The longest prefix an earlier backup holds whole: the one to extend.
        var basis = held?.Where(e => e.Size <= length && e.Pieces!.Count < MaxPieces && AllStored(storage, e))
            .OrderByDescending(e => e.Size).FirstOrDefault();
        if (basis is not null && known?.TryResume(number, basis.Size, basis.Checksum) is { } resumed)
        {
            // This database read these very bytes for an earlier backup and they hashed to the copy's checksum.
            whole = resumed;
            pieces.AddRange(basis.Pieces!);
            start = basis.Size;
            advance?.Invoke(basis.Size);
        }
        else if (basis is not null)
        {
            ulong prefix = FileCopy.Range(fs, source, 0, basis.Size, data => whole.Append(data), copied, cancel);
            tally.LogPrefixBytesRead += basis.Size;
            if (prefix == basis.Checksum)
            {
                pieces.AddRange(basis.Pieces!);
                start = basis.Size;
            }
            else
            {
                whole.Reset();
                tally.LogBytesRecopied += basis.Size;
            }
        }
        if (start == 0 && !wholeWithoutBasis) return null;
        if (length > start)
        {
            long size = length - start;
            string temp = string.Create(CultureInfo.InvariantCulture, $"{SharedTableName.Folder}/{dbId}-{number:D6}-{start}{LogPieceName.Extension}.tmp-{tempTag}");
            ulong checksum = StorageCopy.UploadRange(fs, source, start, size, storage, temp, whole, copied, cancel);
            string path = LogPieceName.PathOf(dbId, number, start, size, checksum);
            // The same bytes stored already (a backup taken between two that saw no write): keep that file.
            if (StorageCopy.IsStored(storage, path, size)) storage.Delete(temp);
            else
            {
                storage.Rename(temp, path);
                newBytes += size;
                tally.NewLogBytes += size;
            }
            pieces.Add(new BackupPiece(path, start, size, checksum));
        }
        known?.Remember(number, length, whole);
        return new BackupFileEntry(FileNames.LogName(number), pieces[0].Path, BackupCreator.KindName(LiveFileKind.Log), length, whole.GetCurrentHashAsUInt64(), pieces);
    }

    private static bool AllStored(IBackupStorage storage, BackupFileEntry entry) => entry.Parts.All(p => StorageCopy.IsStored(storage, p.Path, p.Size));
}
