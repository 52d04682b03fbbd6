namespace LatticeKV.Io;

/// <summary>
/// Wraps a file system and records every operation that changes what could reach the disk
/// (creates, writes, size changes, renames, deletes, file and directory fsyncs) as an
/// <see cref="FsOp"/>, in the order the wrapped file system performed them, for crash-state
/// exploration in the manner of ALICE and CrashMonkey. Reads and listings pass through unrecorded.
/// <para>
/// Logs from <see cref="CreateLog"/> are written through a memory mapping whose stores no
/// wrapper sees, so <see cref="RecordingLogFile"/> reads the file back after every append and
/// around every fsync and records each page that changed. Files are recorded as
/// <see cref="RealFileSystem"/> creates them: creating over an existing name empties that file
/// in place. Directories are taken as existing and durable, as <see cref="MemFileSystem"/> takes them.
/// </para>
/// Every operation runs under one lock together with its record, so the trace is an order in
/// which the operations really happened (background threads included); this serialises I/O,
/// which only a test harness can afford.
/// </summary>
internal sealed class RecordingFileSystem(IFileSystem inner) : IFileSystem
{
    // Guarded by Gate: the trace, the inode each recorded name refers to, the next inode number.
    private readonly List<FsOp> _ops = [];
    private readonly Dictionary<string, int> _names = new(StringComparer.Ordinal);
    private int _nextFile;

    internal Lock Gate { get; } = new();

    /// <summary>A copy of the trace so far.</summary>
    public IReadOnlyList<FsOp> Operations
    {
        get { lock (Gate) return [.. _ops]; }
    }

    /// <summary>Appends a marker (an event of the workload, such as an acknowledgement); returns its index in the trace.</summary>
    public int Mark(string note)
    {
        lock (Gate)
        {
            _ops.Add(new FsOp(FsOpKind.Marker, -1, "") { Note = note });
            return _ops.Count - 1;
        }
    }

    /// <summary>Records <paramref name="op"/>. Caller holds <see cref="Gate"/>.</summary>
    internal void Add(FsOp op) => _ops.Add(op);

    public IWritableFile CreateWritable(string path)
    {
        lock (Gate)
        {
            var file = inner.CreateWritable(path);
            return new RecordingWritableFile(this, file, Created(path));
        }
    }

    public IWritableFile CreateLog(string path, long capacity)
    {
        lock (Gate)
        {
            var file = inner.CreateLog(path, capacity);
            IRandomAccessFile reader;
            try { reader = inner.OpenRead(path); }
            catch
            {
                file.Dispose();
                throw;
            }
            return new RecordingLogFile(this, file, reader, Created(path));
        }
    }

    /// <summary>The inode a create at <paramref name="path"/> leaves there, recorded. Caller holds <see cref="Gate"/>.</summary>
    private int Created(string path)
    {
        if (_names.TryGetValue(path, out int existing))
        {
            _ops.Add(new FsOp(FsOpKind.SetLength, existing, path) { Length = 0 });
            return existing;
        }
        int file = _nextFile++;
        _names[path] = file;
        _ops.Add(new FsOp(FsOpKind.Create, file, path));
        return file;
    }

    public IRandomAccessFile OpenRead(string path) => inner.OpenRead(path);

    public bool FileExists(string path) => inner.FileExists(path);

    public bool DirectoryExists(string path) => inner.DirectoryExists(path);

    public void CreateDirectory(string path) => inner.CreateDirectory(path);

    public IReadOnlyList<string> ListFiles(string directory) => inner.ListFiles(directory);

    public void DeleteFile(string path)
    {
        lock (Gate)
        {
            inner.DeleteFile(path);
            if (_names.Remove(path, out int file)) _ops.Add(new FsOp(FsOpKind.Delete, file, path));
        }
    }

    public void RenameFile(string from, string to)
    {
        lock (Gate)
        {
            inner.RenameFile(from, to);
            if (!_names.Remove(from, out int file)) return;
            _names[to] = file;
            _ops.Add(new FsOp(FsOpKind.Rename, file, from) { Target = to });
        }
    }

    public long GetFileSize(string path) => inner.GetFileSize(path);

    public void SyncDirectory(string path)
    {
        lock (Gate)
        {
            inner.SyncDirectory(path);
            _ops.Add(new FsOp(FsOpKind.SyncDirectory, -1, path.TrimEnd('/', '\\')));
        }
    }

    public IDisposable LockFile(string path, bool shared = false)
    {
        lock (Gate)
        {
            bool existed = _names.ContainsKey(path) || inner.FileExists(path);
            var held = inner.LockFile(path, shared);
            if (!existed) Created(path);
            return held;
        }
    }
}
