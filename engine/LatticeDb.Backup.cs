using LatticeKV.Db;
using LatticeKV.Io;

namespace LatticeKV;

// Consistent copies: the capture that checkpoints and backups start from, and the hold that keeps
// the captured files from being deleted while they are copied.
public sealed partial class LatticeDb
{
    private DatabaseIdentity? _identity; // set once by recovery
    private int _deletionHolds;          // guarded by _mutex: captures being copied; no file is deleted meanwhile
    private Backup.AutoBackupService? _autoBackup; // set once by recovery when DbOptions.AutoBackup is set

    /// <summary>The live logs' prefixes this instance hashed for backups, so the next backup need not read them again.</summary>
    internal Backup.LogPrefixHashes LogPrefixHashes { get; } = new();

    /// <summary>The database's identity (IDENTITY file); a read-only open of a directory without one gets a transient identity.</summary>
    internal DatabaseIdentity Identity => _identity ?? throw new InvalidOperationException("identity is set by recovery");

    internal string DatabasePath => _path;

    internal IFileSystem FileSystem => _fs;

    internal DbOptions Options => _options;

    /// <summary>
    /// Creates an openable copy of the database in <paramref name="directory"/>, which must not exist,
    /// and returns the last sequence number it holds (every write acknowledged before the call).
    /// Tables are hard-linked where the file system allows (they never change), copied otherwise;
    /// the MANIFEST and the logs are copied up to the moment of the checkpoint. The copy appears
    /// whole or not at all: it is built under a temporary name and renamed. It is a new timeline
    /// of the same database (FORMAT.md §13): an encrypted copy needs the same master key.
    /// </summary>
    public ulong CreateCheckpoint(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ThrowIfClosed();
        using var live = CaptureLiveFiles();
        Backup.Checkpoint.Write(live, System.IO.Path.GetFullPath(directory));
        return live.Sequence;
    }

    /// <summary>
    /// Takes the set of files that make up the database at this moment, between two write groups:
    /// the MANIFEST prefix and the tables it lists, every live log up to its current end, the
    /// options, identity and key registry. No file is deleted until the set is disposed.
    /// </summary>
    internal LiveFileSet CaptureLiveFiles()
    {
        ThrowIfClosed();
        lock (_mutex) _deletionHolds++;
        try
        {
            LiveFileSet? set = null;
            if (_readOnly) set = Capture();
            else _writePath.RunExclusive(() => set = Capture());
            return set!;
        }
        catch
        {
            ReleaseDeletionHold();
            throw;
        }
    }

    private LiveFileSet Capture()
    {
        var manifest = _versions.CaptureManifest();
        List<(long Number, long Length)> logs;
        if (_readOnly)
        {
            logs = [];
            foreach (var name in _fs.ListFiles(_path))
                if (FileNames.Parse(name, out long n) == DbFileKind.Log && n >= manifest.MinLogNumber)
                    logs.Add((n, _fs.GetFileSize(FileNames.Log(_path, n))));
            logs.Sort();
        }
        else
        {
            lock (_mutex) logs = _writePath.Logs.LiveLogs(manifest.MinLogNumber);
        }
        ulong sequence = _writePath.LastSequence;
        var files = new List<LiveFile>();
        foreach (var (cf, _, f) in manifest.Tables)
            files.Add(new LiveFile(LiveFileKind.Table, FileNames.TableName(f.Number), f.FileSize, FileNames.Table(_path, f.Number), null)
            { Table = f, ColumnFamily = cf, Number = f.Number });
        foreach (var (cf, b) in manifest.BlobFiles)
            files.Add(new LiveFile(LiveFileKind.Blob, FileNames.BlobName(b.Number), b.FileSize, FileNames.Blob(_path, b.Number), null)
            { BlobFile = b, ColumnFamily = cf, Number = b.Number });
        foreach (var (number, length) in logs)
            files.Add(new LiveFile(LiveFileKind.Log, FileNames.LogName(number), length, FileNames.Log(_path, number), null) { Number = number });
        files.Add(new LiveFile(LiveFileKind.Manifest, FileNames.ManifestName(manifest.Number), manifest.Length, FileNames.Manifest(_path, manifest.Number), null) { Number = manifest.Number });
        var current = Coding.Utf8.GetBytes(FileNames.ManifestName(manifest.Number) + "\n");
        files.Add(new LiveFile(LiveFileKind.Current, FileNames.Current, current.Length, null, current));
        if (NewestOptionsFile() is { } options)
        {
            var bytes = _fs.ReadAllBytes(options);
            files.Add(new LiveFile(LiveFileKind.Options, System.IO.Path.GetFileName(options), bytes.Length, null, bytes));
        }
        var identity = Identity.Encode();
        files.Add(new LiveFile(LiveFileKind.Identity, DatabaseIdentity.FileName, identity.Length, null, identity));
        if (_keys is { } keys)
        {
            var (name, bytes) = keys.SnapshotFile();
            files.Add(new LiveFile(LiveFileKind.KeyRegistry, name, bytes.Length, null, bytes));
        }
        return new LiveFileSet(_path, _fs, Identity, sequence, _options.Clock.GetUtcNow(), files, _keys is not null, ReleaseDeletionHold);
    }

    /// <summary>
    /// Archives a retired log when automatic backups keep an archive; false when that failed and
    /// the log must stay (it is archived and deleted by a later purge).
    /// </summary>
    private bool ArchiveBeforeDelete(string path, long number)
    {
        if (_autoBackup is not { ArchiveLogs: true } auto) return true;
        long? length;
        lock (_mutex) length = _writePath.Logs.LengthOf(number);
        // A log closed unsynced at its roll is still open, its file longer than its records (grown
        // ahead): closed now, it is trimmed to them and can be archived as a second name.
        _writePath.Logs.CloseRetired(number);
        if (!auto.Archive(_fs, path, number, length)) return false;
        _options.TestHooks?.LogArchived?.Invoke(number);
        return true;
    }

    /// <summary>Runs one automatic-backup decision now, on the calling thread (tests; the background thread does it every interval).</summary>
    internal BackupInfo? RunAutoBackupNow(bool atOpen = false) => (_autoBackup ?? throw new InvalidOperationException("AutoBackup is not configured")).Tick(atOpen);

    internal Backup.AutoBackupService? AutoBackupService => _autoBackup;

    private string AutoBackupStats()
    {
        if (_autoBackup is not { } auto) return "";
        var sb = new System.Text.StringBuilder();
        if (auto.LastBackup is { } last)
        {
            sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"lattice.backup.last-id {last.Id}\n");
            sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"lattice.backup.last-sequence {last.Sequence}\n");
            sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"lattice.backup.last-time {last.Timestamp:O}\n");
            sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"lattice.backup.last-new-bytes {last.NewBytes}\n");
        }
        foreach (var (name, value) in auto.Counters) sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"lattice.backup.{name} {value}\n");
        if (auto.LastError is { } error) sb.Append("lattice.backup.last-error ").Append(error).Append('\n');
        return sb.ToString();
    }

    private string? NewestOptionsFile()
    {
        if (_optionsFileNumber > 0) return FileNames.Options(_path, _optionsFileNumber);
        long newest = -1;
        foreach (var name in _fs.ListFiles(_path))
            if (FileNames.Parse(name, out long n) == DbFileKind.Options && n > newest) newest = n;
        return newest < 0 ? null : FileNames.Options(_path, newest);
    }

    private void ReleaseDeletionHold()
    {
        bool purge;
        lock (_mutex)
        {
            _deletionHolds--;
            purge = _deletionHolds == 0 && !_closed && !_readOnly;
        }
        if (purge) PurgeObsoleteFiles();
    }
}
