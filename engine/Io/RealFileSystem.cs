using System.Collections.Concurrent;
using Microsoft.Win32.SafeHandles;

namespace LatticeKV.Io;

/// <summary>The operating system's file system, through <see cref="RandomAccess"/> on <see cref="SafeFileHandle"/>s.</summary>
internal sealed class RealFileSystem : IFileSystem
{
    public static readonly RealFileSystem Instance = new();

    // flock() does not exclude a second descriptor in the same process on every platform,
    // so in-process exclusion is tracked here as well.
    private static readonly ConcurrentDictionary<string, byte> s_heldLocks = new(StringComparer.Ordinal);

    private RealFileSystem() { }

    public IWritableFile CreateWritable(string path)
    {
        try
        {
            var handle = File.OpenHandle(path, FileMode.Create, FileAccess.Write, FileShare.Read | FileShare.Delete);
            return new RealWritableFile(path, handle);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw IoErrors.Wrap(ex, "Creating", path);
        }
    }

    public IWritableFile CreateLog(string path, long capacity) => RealMappedLogFile.Create(path, capacity);

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

    public void SyncDirectory(string path) => NativeMethods.SyncDirectory(path);

    public IDisposable LockFile(string path)
    {
        string key = System.IO.Path.GetFullPath(path);
        if (!s_heldLocks.TryAdd(key, 0)) throw new DbLockedException(System.IO.Path.GetDirectoryName(key) ?? key);
        try
        {
            // FileShare.None makes .NET take flock(LOCK_EX|LOCK_NB) on Unix: released by the kernel if the process dies.
            var stream = new FileStream(key, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            return new Lock(key, stream);
        }
        catch (IOException ex)
        {
            s_heldLocks.TryRemove(key, out _);
            throw new DbLockedException(System.IO.Path.GetDirectoryName(key) ?? key, ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            s_heldLocks.TryRemove(key, out _);
            throw IoErrors.Wrap(ex, "Locking", key);
        }
    }

    private sealed class Lock(string key, FileStream stream) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            stream.Dispose();
            s_heldLocks.TryRemove(key, out _);
        }
    }
}

internal sealed class RealWritableFile : IWritableFile
{
    private const int BufferSize = 64 * 1024;
    private readonly SafeFileHandle _handle;
    private readonly byte[] _buffer = new byte[BufferSize];
    private int _buffered;
    private long _flushedLength;

    public RealWritableFile(string path, SafeFileHandle handle)
    {
        Path = path;
        _handle = handle;
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
        try { RandomAccess.FlushToDisk(_handle); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { throw IoErrors.Wrap(ex, "fsync of", Path); }
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
