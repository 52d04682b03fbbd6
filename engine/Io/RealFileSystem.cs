using Microsoft.Win32.SafeHandles;

namespace LatticeKV.Io;

/// <summary>The operating system's file system, through <see cref="RandomAccess"/> on <see cref="SafeFileHandle"/>s.</summary>
internal sealed class RealFileSystem : IFileSystem
{
    public static readonly RealFileSystem Instance = new(null);

    private readonly SyscallFaults? _faults;

    // flock() does not exclude a second descriptor in the same process on every platform,
    // so in-process exclusion is tracked here as well.
    // Locks this process holds, by path: holders -1 exclusive, n > 0 shared by n. flock alone
    // would not stop a second open in the same process (locks belong to open file descriptions).
    private static readonly Dictionary<string, (int Holders, FileStream Stream)> s_heldLocks = new(StringComparer.Ordinal);

    /// <summary>A real file system whose system calls report the errors <paramref name="faults"/> chooses (tests only).</summary>
    internal RealFileSystem(SyscallFaults? faults) => _faults = faults;

    /// <summary>
    /// Creates (or empties) a file without O_TRUNC. ext4's auto_da_alloc writes back, on close,
    /// every file that was opened with O_TRUNC: each write-ahead log would then be written to disk
    /// just before it is deleted, doubling the bytes written for nothing. Leftover files of the
    /// same name (after a crash) are rare and still emptied.
    /// </summary>
    internal static SafeFileHandle CreateEmpty(string path, FileAccess access)
    {
        var handle = File.OpenHandle(path, FileMode.OpenOrCreate, access, FileShare.Read | FileShare.Delete);
        try
        {
            if (RandomAccess.GetLength(handle) != 0) RandomAccess.SetLength(handle, 0);
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public IWritableFile CreateWritable(string path)
    {
        try
        {
            return new RealWritableFile(path, CreateEmpty(path, FileAccess.Write), _faults);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw IoErrors.Wrap(ex, "Creating", path);
        }
    }

    public IWritableFile OpenAppend(string path)
    {
        try
        {
            var handle = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read | FileShare.Delete);
            return new RealWritableFile(path, handle, _faults, RandomAccess.GetLength(handle));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw IoErrors.Wrap(ex, "Opening for append", path);
        }
    }

    public IWritableFile CreateLog(string path, long capacity) => RealMappedLogFile.Create(path, capacity, _faults);

    public IRandomAccessFile OpenRead(string path)
    {
        try
        {
            var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return new RealRandomAccessFile(path, handle);
        }
        catch (FileNotFoundException) { throw; }
        catch (DirectoryNotFoundException ex) { throw new FileNotFoundException(ex.Message, path, ex); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw IoErrors.Wrap(ex, "Opening", path);
        }
    }

    public bool FileExists(string path) => File.Exists(path);

    public bool TryHardLink(string existing, string link) => NativeMethods.TryHardLink(existing, link);

    public bool DirectoryExists(string path) => Directory.Exists(path);

    public void CreateDirectory(string path)
    {
        try { Directory.CreateDirectory(path); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { throw IoErrors.Wrap(ex, "Creating directory", path); }
    }

    public IReadOnlyList<string> ListFiles(string directory)
    {
        try
        {
            var names = new List<string>();
            foreach (var f in Directory.EnumerateFiles(directory)) names.Add(System.IO.Path.GetFileName(f));
            return names;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { throw IoErrors.Wrap(ex, "Listing", directory); }
    }

    public void DeleteFile(string path)
    {
        try { File.Delete(path); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { throw IoErrors.Wrap(ex, "Deleting", path); }
    }

    public void RenameFile(string from, string to)
    {
        try { File.Move(from, to, overwrite: true); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { throw IoErrors.Wrap(ex, "Renaming", from); }
    }

    public long GetFileSize(string path)
    {
        try { return new FileInfo(path).Length; }
        catch (FileNotFoundException) { throw; }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { throw IoErrors.Wrap(ex, "Stat of", path); }
    }

    public void SyncDirectory(string path) => NativeMethods.SyncDirectory(path, _faults?.For(Syscall.DirectorySync, path) ?? 0);

    public IDisposable LockFile(string path, bool shared = false)
    {
        string key = System.IO.Path.GetFullPath(path);
        string db = System.IO.Path.GetDirectoryName(key) ?? key;
        lock (s_heldLocks)
        {
            if (s_heldLocks.TryGetValue(key, out var held))
            {
                if (held.Holders < 0 || !shared) throw new DbLockedException(db);
                s_heldLocks[key] = (held.Holders + 1, held.Stream); // the process already holds the shared flock
                return new Lock(key);
            }
            try
            {
                // .NET takes flock(LOCK_EX|LOCK_NB) for FileShare.None and flock(LOCK_SH|LOCK_NB)
                // otherwise; the kernel releases it when the process dies.
                var stream = shared
                    ? new FileStream(key, FileMode.OpenOrCreate, FileAccess.Read, FileShare.ReadWrite)
                    : new FileStream(key, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                s_heldLocks[key] = (shared ? 1 : -1, stream);
                return new Lock(key);
            }
            catch (IOException ex) when (ex is not FileNotFoundException and not DirectoryNotFoundException)
            {
                throw new DbLockedException(db, ex);
            }
            catch (Exception ex) when (ex is UnauthorizedAccessException or FileNotFoundException or DirectoryNotFoundException)
            {
                throw IoErrors.Wrap(ex, "Locking", key);
            }
        }
    }

    /// <summary>One holder's share of a lock; the last one out closes the file and so releases the flock.</summary>
    private sealed class Lock(string key) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            lock (s_heldLocks)
            {
                var (holders, stream) = s_heldLocks[key];
                if (holders > 1)
                {
                    s_heldLocks[key] = (holders - 1, stream);
                    return;
                }
                s_heldLocks.Remove(key);
                stream.Dispose();
            }
        }
    }
}

internal sealed class RealWritableFile : IWritableFile
{
    private const int BufferSize = 64 * 1024;
    private readonly SafeFileHandle _handle;
    private readonly SyscallFaults? _faults;
    private readonly byte[] _buffer = new byte[BufferSize];
    private int _buffered;
    private long _flushedLength;

    public RealWritableFile(string path, SafeFileHandle handle, SyscallFaults? faults, long length = 0)
    {
        Path = path;
        _handle = handle;
        _faults = faults;
        _flushedLength = length;
    }

    public string Path { get; }

    public long Length => _flushedLength + _buffered;

    public long Capacity { get; init; } = long.MaxValue;

    public void Append(ReadOnlySpan<byte> data)
    {
        if (data.Length > Capacity - Length)
            throw new LatticeIOException($"Appending {data.Length} bytes to '{Path}' exceeds its reserved {Capacity} bytes.", Path);
        if (data.Length <= BufferSize - _buffered)
        {
            data.CopyTo(_buffer.AsSpan(_buffered));
            _buffered += data.Length;
            return;
        }
        Flush();
        if (data.Length >= BufferSize)
        {
            WriteThrough(data);
            return;
        }
        data.CopyTo(_buffer);
        _buffered = data.Length;
    }

    public void Flush()
    {
        if (_buffered == 0) return;
        WriteThrough(_buffer.AsSpan(0, _buffered));
        _buffered = 0;
    }

    public void Sync()
    {
        Flush();
        NativeMethods.FlushToDisk(_handle, Path, _faults?.For(Syscall.FileSync, Path) ?? 0);
    }

    private void WriteThrough(ReadOnlySpan<byte> data)
    {
        try
        {
            RandomAccess.Write(_handle, data, _flushedLength);
            _flushedLength += data.Length;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The kernel may have taken a prefix; trim back so a retry appends at a known offset.
            try { RandomAccess.SetLength(_handle, _flushedLength); } catch (IOException) { }
            throw IoErrors.Wrap(ex, "Writing", Path);
        }
    }

    public void Dispose()
    {
        try { Flush(); }
        finally { _handle.Dispose(); }
    }
}

internal sealed class RealRandomAccessFile : IRandomAccessFile
{
    private readonly SafeFileHandle _handle;

    public RealRandomAccessFile(string path, SafeFileHandle handle)
    {
        Path = path;
        _handle = handle;
    }

    public string Path { get; }

    /// <summary>The open file, for copies the kernel makes (<see cref="NativeMethods.CopyRange"/>).</summary>
    internal SafeFileHandle Handle => _handle;

    public long Length
    {
        get
        {
            try { return RandomAccess.GetLength(_handle); }
            catch (IOException ex) { throw IoErrors.Wrap(ex, "Stat of", Path); }
        }
    }

    public int Read(long offset, Span<byte> buffer)
    {
        try { return RandomAccess.Read(_handle, buffer, offset); }
        catch (IOException ex) { throw IoErrors.Wrap(ex, "Reading", Path); }
    }

    public void Dispose() => _handle.Dispose();
}
