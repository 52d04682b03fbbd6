namespace LatticeKV.Io;

/// <summary>
/// A log of a <see cref="RecordingFileSystem"/>. The real log stores records into a shared
/// memory mapping, which no wrapper sees; but MAP_SHARED stores are the page cache, so a read
/// through a second descriptor returns them. After every append and flush, and before and after
/// every fsync, this reads back the pages that can have changed, compares them with a shadow copy
/// of the file, and records each page that differs as a page-sized write (what the kernel would
/// write back), after recording any change of the file's size (the log grows by ftruncate
/// before it stores into the new pages, and trims itself when closed).
/// </summary>
internal sealed class RecordingLogFile : IWritableFile
{
    private const int PageSize = 4096;
    private readonly RecordingFileSystem _fs;
    private readonly IWritableFile _inner;
    private readonly IRandomAccessFile _reader;
    private readonly int _file;
    private readonly byte[] _page = new byte[PageSize];
    // Guarded by the file system's gate (one writer, but background threads record too).
    private byte[] _shadow = [];
    private long _size;
    private long _flushedLength; // appended bytes up to here have reached the file, whatever the log's kind

    public RecordingLogFile(RecordingFileSystem fs, IWritableFile inner, IRandomAccessFile reader, int file)
    {
        _fs = fs;
        _inner = inner;
        _reader = reader;
        _file = file;
        Observe();
    }

    public string Path => _inner.Path;

    public long Length => _inner.Length;

    public long Capacity => _inner.Capacity;

    public void Append(ReadOnlySpan<byte> data)
    {
        lock (_fs.Gate)
        {
            _inner.Append(data);
            Observe();
        }
    }

    public void AppendRecord(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload)
    {
        lock (_fs.Gate)
        {
            _inner.AppendRecord(header, payload);
            Observe();
        }
    }

    public Span<byte> RecordSpace(int length)
    {
        lock (_fs.Gate) return _inner.RecordSpace(length);
    }

    public void CommitRecord(ReadOnlySpan<byte> header, int payloadLength)
    {
        lock (_fs.Gate)
        {
            _inner.CommitRecord(header, payloadLength);
            Observe();
        }
    }

    public void EnsureRoom(long bytes)
    {
        lock (_fs.Gate)
        {
            _inner.EnsureRoom(bytes);
            Observe();
        }
    }

    public void Flush()
    {
        lock (_fs.Gate)
        {
            _inner.Flush();
            Observe();
            _flushedLength = _inner.Length;
        }
    }

    public void Sync()
    {
        lock (_fs.Gate)
        {
            Observe();
            _inner.Sync();
            Observe();
            _fs.Add(new FsOp(FsOpKind.SyncFile, _file, Path));
            _flushedLength = _inner.Length;
        }
    }

    public void Dispose()
    {
        lock (_fs.Gate)
        {
            try { _inner.Dispose(); }
            finally
            {
                try { ObserveSize(); }
                finally { _reader.Dispose(); }
            }
        }
    }

    /// <summary>Records a size change, then every page from the last flushed one to the end of the data that differs from the shadow.</summary>
    private void Observe()
    {
        ObserveSize();
        long end = Math.Min(_size, _inner.Length);
        for (long page = _flushedLength / PageSize * PageSize; page < end; page += PageSize)
        {
            int length = (int)Math.Min(PageSize, _size - page);
            var bytes = _page.AsSpan(0, length);
            int read = _reader.ReadExactly(page, bytes);
            if (read < length) bytes[read..].Clear();
            var shadow = _shadow.AsSpan((int)page, length);
            if (bytes.SequenceEqual(shadow)) continue;
            bytes.CopyTo(shadow);
            _fs.Add(new FsOp(FsOpKind.Write, _file, Path) { Offset = page, Data = bytes.ToArray() });
        }
    }

    private void ObserveSize()
    {
        long size = _reader.Length;
        if (size == _size) return;
        if (size > int.MaxValue) throw new LatticeIOException($"'{Path}' is too large to record.", Path);
        if (size > _shadow.Length) Array.Resize(ref _shadow, (int)Math.Max(size, Math.Min(_shadow.Length * 2L, int.MaxValue)));
        else _shadow.AsSpan((int)size, (int)(_size - size)).Clear(); // a trim discards; growing again reads zeros
        _size = size;
        _fs.Add(new FsOp(FsOpKind.SetLength, _file, Path) { Length = size });
    }
}
