namespace LatticeKV.Io;

/// <summary>
/// An in-memory file system that remembers what would survive a crash. Data handed to the
/// "operating system" (<see cref="IWritableFile.Flush"/>) survives a process kill; only synced
/// data (<see cref="IWritableFile.Sync"/>) in files whose directory entry was synced
/// (<see cref="IFileSystem.SyncDirectory"/>) survives a power loss. <see cref="CrashClone"/>
/// returns the file system a restarted machine would see, as Pebble's CrashClone does.
/// </summary>
internal sealed class MemFileSystem : IFileSystem
{
    private readonly Lock _lock = new();
    // Guarded by _lock: the visible namespace, and the namespace as of the last directory sync.
    private readonly Dictionary<string, Node> _files = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Node> _durable = new(StringComparer.Ordinal);
    private readonly HashSet<string> _directories = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _locks = new(StringComparer.Ordinal); // -1 exclusive, n > 0 shared

    /// <summary>Test hook run before every fsync of a file (outside the file system's lock).</summary>
    public Action<string>? BeforeSync { get; set; }

    /// <summary>Total bytes ever handed to the OS through this file system (for write-amplification tests).</summary>
    public long BytesWritten { get; private set; }

    public IWritableFile CreateWritable(string path)
    {
        lock (_lock)
        {
            RequireParent(path);
            var node = new Node();
            _files[path] = node;
            return new Writer(this, path, node);
        }
    }

    public IWritableFile CreateLog(string path, long capacity)
    {
        lock (_lock)
        {
            RequireParent(path);
            var node = new Node();
            _files[path] = node;
            return new Writer(this, path, node) { Capacity = capacity, AppendsReachOs = true };
        }
    }

    public IRandomAccessFile OpenRead(string path)
    {
        lock (_lock)
        {
            if (!_files.TryGetValue(path, out var node)) throw new FileNotFoundException($"'{path}' does not exist.", path);
            return new Reader(this, path, node);
        }
    }

    public bool FileExists(string path)
    {
        lock (_lock) return _files.ContainsKey(path);
    }

    public bool DirectoryExists(string path)
    {
        lock (_lock) return _directories.Contains(Normalize(path));
    }

    public void CreateDirectory(string path)
    {
        lock (_lock)
        {
            // Directory creation is treated as immediately durable: the engine never depends on it being otherwise.
            for (string? p = Normalize(path); !string.IsNullOrEmpty(p); p = System.IO.Path.GetDirectoryName(p))
                _directories.Add(p);
        }
    }

    public IReadOnlyList<string> ListFiles(string directory)
    {
        string dir = Normalize(directory);
        lock (_lock)
        {
            if (!_directories.Contains(dir)) throw new LatticeIOException($"Listing '{directory}' failed: no such directory.", directory);
            return _files.Keys.Where(k => System.IO.Path.GetDirectoryName(k) == dir).Select(System.IO.Path.GetFileName).ToList()!;
        }
    }

    public void DeleteFile(string path)
    {
        lock (_lock) _files.Remove(path);
    }

    public void RenameFile(string from, string to)
    {
        lock (_lock)
        {
            if (!_files.Remove(from, out var node)) throw new LatticeIOException($"Renaming '{from}' failed: no such file.", from);
            _files[to] = node;
        }
    }

    public long GetFileSize(string path)
    {
        lock (_lock)
        {
            if (!_files.TryGetValue(path, out var node)) throw new FileNotFoundException($"'{path}' does not exist.", path);
            return node.Length;
        }
    }

    public void SyncDirectory(string path)
    {
        string dir = Normalize(path);
        lock (_lock)
        {
            foreach (var name in _durable.Keys.Where(k => System.IO.Path.GetDirectoryName(k) == dir).ToList())
                _durable.Remove(name);
            foreach (var (name, node) in _files)
                if (System.IO.Path.GetDirectoryName(name) == dir) _durable[name] = node;
        }
    }

    public IDisposable LockFile(string path, bool shared = false)
    {
        lock (_lock)
        {
            int held = _locks.GetValueOrDefault(path);
            if (held < 0 || (held > 0 && !shared)) throw new DbLockedException(System.IO.Path.GetDirectoryName(path) ?? path);
            _locks[path] = shared ? held + 1 : -1;
            if (!_files.ContainsKey(path)) _files[path] = new Node();
            return new LockHandle(this, path);
        }
    }

    /// <summary>
    /// The file system after a crash: with <paramref name="powerLoss"/>, only synced bytes of
    /// files whose directory entries were synced; otherwise (a process kill) every byte handed
    /// to the OS. Open writers of this instance keep writing to the old instance only.
    /// </summary>
    public MemFileSystem CrashClone(bool powerLoss = true)
    {
        lock (_lock)
        {
            var clone = new MemFileSystem();
            clone._directories.UnionWith(_directories);
            var source = powerLoss ? _durable : _files;
            foreach (var (name, node) in source)
            {
                int keep = powerLoss ? node.SyncedLength : node.Length;
                var copy = new Node { Data = node.Data.AsSpan(0, keep).ToArray(), Length = keep, SyncedLength = keep };
                clone._files[name] = copy;
                clone._durable[name] = copy;
            }
            return clone;
        }
    }

    /// <summary>Test hook: direct access to a file's bytes (for corruption tests).</summary>
    public byte[] GetContents(string path)
    {
        lock (_lock) return _files[path].Data.AsSpan(0, _files[path].Length).ToArray();
    }

    /// <summary>Test hook: replaces a file's bytes as if the disk had changed under the engine.</summary>
    public void SetContents(string path, ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            var node = _files[path];
            node.Data = data.ToArray();
            node.Length = data.Length;
            node.SyncedLength = Math.Min(node.SyncedLength, data.Length);
        }
    }

    private void RequireParent(string path)
    {
        string? dir = System.IO.Path.GetDirectoryName(path);
        if (dir is not null && !_directories.Contains(Normalize(dir)))
            throw new LatticeIOException($"Creating '{path}' failed: no such directory.", path);
    }

    private static string Normalize(string path) => path.TrimEnd('/', '\\');

    private sealed class Node
    {
        public byte[] Data = [];
        public int Length;
        public int SyncedLength;

        public void Write(ReadOnlySpan<byte> bytes)
        {
            if (Length + bytes.Length > Data.Length)
                Array.Resize(ref Data, Math.Max(Length + bytes.Length, Math.Max(4096, Data.Length * 2)));
            bytes.CopyTo(Data.AsSpan(Length));
            Length += bytes.Length;
        }
    }

    private sealed class Writer(MemFileSystem fs, string path, Node node) : IWritableFile
    {
        // Bytes still in the "process": lost by a kill, like a user-space buffer.
        private byte[] _pending = new byte[256];
        private int _pendingCount;
        private long _length;
        private bool _disposed;

        public string Path => path;

        public long Length => _length;

        public long Capacity { get; init; } = long.MaxValue;

        /// <summary>Like a memory-mapped log: every append is at once in the "operating system".</summary>
        public bool AppendsReachOs { get; init; }

        public void Append(ReadOnlySpan<byte> data)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (data.Length > Capacity - _length)
                throw new LatticeIOException($"Appending {data.Length} bytes to '{path}' exceeds its reserved {Capacity} bytes.", path);
            if (_pendingCount + data.Length > _pending.Length)
                Array.Resize(ref _pending, Math.Max(_pendingCount + data.Length, _pending.Length * 2));
            data.CopyTo(_pending.AsSpan(_pendingCount));
            _pendingCount += data.Length;
            _length += data.Length;
            if (AppendsReachOs) Flush();
        }

        public void Flush()
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_pendingCount == 0) return;
            lock (fs._lock)
            {
                node.Write(_pending.AsSpan(0, _pendingCount));
                fs.BytesWritten += _pendingCount;
            }
            _pendingCount = 0;
        }

        public void Sync()
        {
            Flush();
            fs.BeforeSync?.Invoke(path);
            lock (fs._lock) node.SyncedLength = node.Length;
        }

        public void Dispose()
        {
            if (_disposed) return;
            Flush();
            _disposed = true;
        }
    }

    private sealed class Reader(MemFileSystem fs, string path, Node node) : IRandomAccessFile
    {
        public string Path => path;

        public long Length
        {
            get { lock (fs._lock) return node.Length; }
        }

        public int Read(long offset, Span<byte> buffer)
        {
            lock (fs._lock)
            {
                if (offset >= node.Length) return 0;
                int n = (int)Math.Min(buffer.Length, node.Length - offset);
                node.Data.AsSpan((int)offset, n).CopyTo(buffer);
                return n;
            }
        }

        public void Dispose() { }
    }

    private sealed class LockHandle(MemFileSystem fs, string path) : IDisposable
    {
        public void Dispose()
        {
            lock (fs._lock)
            {
                if (fs._locks.GetValueOrDefault(path) > 1) fs._locks[path]--;
                else fs._locks.Remove(path);
            }
        }
    }
}
