using LatticeKV.Io;
using Microsoft.Win32.SafeHandles;

namespace LatticeKV;

/// <summary>
/// Backups in a directory of the local file system (the default <see cref="IBackupStorage"/>):
/// files fsynced on commit, renames followed by an fsync of the directory, the lock a
/// <c>LOCK</c> file held with <c>flock</c> (released by the kernel if the process dies).
/// </summary>
public sealed class FileSystemBackupStorage : IBackupStorage
{
    private readonly string _root;

    /// <summary>Backups under <paramref name="directory"/> (created when missing).</summary>
    public FileSystemBackupStorage(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        _root = Path.GetFullPath(directory);
        try { Directory.CreateDirectory(_root); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { throw IoErrors.Wrap(ex, "Creating backup directory", _root); }
    }

    /// <inheritdoc/>
    public string Location => _root;

    private string Full(string path)
    {
        if (string.IsNullOrEmpty(path) || path.Contains("..", StringComparison.Ordinal) || Path.IsPathRooted(path))
            throw new InvalidArgumentException($"Backup path '{path}' is not a relative path inside the backup directory.", nameof(path));
        return Path.Combine(_root, path.Replace('/', Path.DirectorySeparatorChar));
    }

    /// <inheritdoc/>
    public bool Exists(string path) => File.Exists(Full(path));

    /// <inheritdoc/>
    public long GetSize(string path)
    {
        var info = new FileInfo(Full(path));
        if (!info.Exists) throw new FileNotFoundException("backup file is missing", info.FullName);
        return info.Length;
    }

    /// <inheritdoc/>
    public IReadOnlyList<string> ListFiles(string folder) => List(folder, files: true);

    /// <inheritdoc/>
    public IReadOnlyList<string> ListFolders(string folder) => List(folder, files: false);

    private IReadOnlyList<string> List(string folder, bool files)
    {
        string full = folder.Length == 0 ? _root : Full(folder);
        try
        {
            if (!Directory.Exists(full)) return [];
            var names = files ? Directory.GetFiles(full) : Directory.GetDirectories(full);
            return names.Select(n => Path.GetFileName(n)).Order(StringComparer.Ordinal).ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { throw IoErrors.Wrap(ex, "Listing", full); }
    }

    /// <inheritdoc/>
    public Stream OpenRead(string path)
    {
        string full = Full(path);
        try { return new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1, FileOptions.SequentialScan); }
        catch (DirectoryNotFoundException ex) { throw new FileNotFoundException("backup file is missing", full, ex); }
        catch (FileNotFoundException) { throw; }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { throw IoErrors.Wrap(ex, "Opening", full); }
    }

    /// <inheritdoc/>
    public IBackupFileWriter Create(string path)
    {
        string full = Full(path);
        try
        {
            EnsureFolder(Path.GetDirectoryName(full)!);
            return new Writer(full, RealFileSystem.CreateEmpty(full, FileAccess.ReadWrite));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { throw IoErrors.Wrap(ex, "Creating", full); }
    }

    /// <inheritdoc/>
    public void Rename(string from, string to)
    {
        string src = Full(from), dst = Full(to);
        try
        {
            EnsureFolder(Path.GetDirectoryName(dst)!);
            File.Move(src, dst, overwrite: true);
            // rename(2) does nothing when both names are links to one file, as when a log whose
            // linked archive was renamed into place is linked again by a run that reopened the
            // database before it deleted the log: the temporary name must still go.
            if (File.Exists(src)) File.Delete(src);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { throw IoErrors.Wrap(ex, "Renaming", src); }
        NativeMethods.SyncDirectory(Path.GetDirectoryName(dst)!);
    }

    // A new folder's entry is made durable in its parent at once: files committed in it must not vanish with it.
    private void EnsureFolder(string full)
    {
        if (Directory.Exists(full)) return;
        string parent = Path.GetDirectoryName(full)!;
        if (!string.Equals(full, _root, StringComparison.Ordinal)) EnsureFolder(parent);
        Directory.CreateDirectory(full);
        NativeMethods.SyncDirectory(parent);
    }

    /// <summary>Makes a hard link (existing, link), false when impossible; tests replace it to make linking fail.</summary>
    internal Func<string, string, bool> HardLink { get; init; } = NativeMethods.TryHardLink;

    /// <summary>
    /// Gives the local file <paramref name="source"/> the name <paramref name="path"/> in the store,
    /// as a hard link, and makes the file's data durable (fdatasync); false where linking is
    /// impossible (another file system, no support, refused). The link comes first so that a store
    /// on another file system costs no fsync. <paramref name="path"/> is a temporary name no reader
    /// trusts: the caller's <see cref="Rename"/> into the same folder fsyncs it, and with it this name.
    /// </summary>
    internal bool TryLinkDurably(string source, string path)
    {
        string full = Full(path);
        string folder = Path.GetDirectoryName(full)!;
        try { EnsureFolder(folder); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { throw IoErrors.Wrap(ex, "Creating backup folder", folder); }
        if (!HardLink(source, full)) return false;
        try
        {
            using var handle = File.OpenHandle(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            NativeMethods.FlushToDisk(handle, full);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { throw IoErrors.Wrap(ex, "Archiving", source); }
        return true;
    }

    /// <inheritdoc/>
    public void Delete(string path)
    {
        string full = Full(path);
        try { File.Delete(full); }
        catch (DirectoryNotFoundException) { }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { throw IoErrors.Wrap(ex, "Deleting", full); }
    }

    /// <inheritdoc/>
    public void DeleteFolder(string folder)
    {
        string full = Full(folder);
        try { if (Directory.Exists(full)) Directory.Delete(full, recursive: false); }
        catch (DirectoryNotFoundException) { }
        catch (IOException) when (Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any()) { } // a file arrived meanwhile: it stays
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { throw IoErrors.Wrap(ex, "Deleting directory", full); }
    }

    /// <inheritdoc/>
    public IDisposable Lock(bool exclusive, TimeSpan timeout)
    {
        string path = Path.Combine(_root, "LOCK");
        // Measured on the monotonic clock: a step of the wall clock (NTP, a suspended machine) must
        // neither end the wait at once nor stretch it by the size of the step.
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        int wait = 1;
        while (true)
        {
            try { return RealFileSystem.Instance.LockFile(path, shared: !exclusive); }
            catch (DbLockedException) when (System.Diagnostics.Stopwatch.GetElapsedTime(started) < timeout)
            {
                // Another process (or an automatic backup) holds it: backups are not latency-critical.
                Thread.Sleep(wait);
                wait = Math.Min(wait * 2, 100);
            }
            catch (DbLockedException ex)
            {
                throw new DbLockedException(_root, $"The backup directory '{_root}' is in use by another operation (waited {timeout.TotalSeconds:0.#} s).", ex);
            }
        }
    }

    internal sealed class Writer(string path, SafeFileHandle handle) : IBackupFileWriter
    {
        private long _offset;
        private bool _done;

        public void Write(ReadOnlySpan<byte> data)
        {
            try { RandomAccess.Write(handle, data, _offset); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { throw IoErrors.Wrap(ex, "Writing", path); }
            Written(data.Length);
        }

        /// <summary>
        /// Appends <paramref name="written"/>.Length bytes of <paramref name="source"/> from
        /// <paramref name="sourceOffset"/>, copied by the kernel (as cp does: a copy through this
        /// process's memory can be much slower, BENCHMARKS.md "Backups"), then reads them back into
        /// <paramref name="written"/>, so the caller checksums exactly what the file now holds.
        /// Returns the bytes copied, fewer only at the source's end; -1 when the kernel cannot copy
        /// between these files (nothing was written; the caller uses <see cref="Write"/>).
        /// </summary>
        internal int CopyFrom(SafeFileHandle source, long sourceOffset, Span<byte> written)
        {
            long copied = NativeMethods.CopyRange(source, sourceOffset, handle, _offset, written.Length, path);
            if (copied <= 0) return (int)copied;
            int n = 0;
            try
            {
                for (int r; n < copied; n += r)
                    if ((r = RandomAccess.Read(handle, written[n..(int)copied], _offset + n)) == 0) break;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { throw IoErrors.Wrap(ex, "Reading back", path); }
            if (n != copied) throw new CorruptionException($"file holds {_offset + n} bytes after {_offset + copied} were copied into it", path, _offset + n);
            Written(n);
            return n;
        }

        // The disk writes each chunk while the next is copied and checksummed, instead of all of
        // them in the fsync at Commit after the copy.
        private void Written(int length)
        {
            NativeMethods.StartWriteback(handle, _offset, length);
            _offset += length;
        }

        public void Commit()
        {
            NativeMethods.FlushToDisk(handle, path);
            _done = true;
            handle.Dispose();
            NativeMethods.SyncDirectory(Path.GetDirectoryName(path)!);
        }

        public void Dispose()
        {
            if (!_done) handle.Dispose();
        }
    }
}
