using System.IO.MemoryMappedFiles;
using Microsoft.Win32.SafeHandles;

namespace LatticeKV.Io;

/// <summary>
/// A write-ahead log written through a shared memory mapping. Copying a record into the mapping
/// puts it in the kernel's page cache, where it survives the process being killed, without a
/// system call per write (a pwrite costs more than the rest of a put). The file's length grows
/// just ahead of the data in steps that start at one page and double up to 1 MiB, and the blocks
/// of each step are reserved (fallocate, FALLOC_FL_KEEP_SIZE) before the file is extended over
/// them, so the disk holds about what the log has held (never more than a step beyond it: one
/// page for an empty log; or the chunk zeroed ahead, below), and a write can never hit a full
/// disk through the mapping: a full disk fails the append that needs the next step, with
/// <see cref="LatticeIOException.IsDiskFull"/>, before a byte is copied. The mapping itself spans
/// <see cref="Capacity"/> (address space only). <see cref="Sync"/> fsyncs for power-loss
/// durability. Disposing unmaps and trims the file to its written length. Single writer.
/// While the log is not synced often, the pages just ahead of the data are mapped writable a
/// chunk at a time (PopulateAhead), so the copies that fill them take no page fault each.
/// <para>
/// Reserved blocks are unwritten extents: the first fsync that carries data into one must also
/// commit the filesystem's journal to mark it written, which makes a group's fsync (it reaches a
/// new block far more often than a lone writer's) cost markedly more than a small one on ext4
/// (BENCHMARKS.md, "The log zeroes its blocks ahead of group-sized fsyncs"). So when an fsync
/// carries a group's worth, from <see cref="InitializeAheadMinBytes"/> to <see
/// cref="InitializeAheadMaxBytes"/>, the pages ahead of the data are zeroed a chunk at a time just
/// before it: that fsync writes them and marks their blocks written in its one journal commit, and
/// the fsyncs after it overwrite written blocks, as in a file written beforehand. Other fsyncs skip
/// this, because the zeros cost a page written per page of log: smaller ones reach a new block too
/// rarely to repay it, and larger ones (a sync after many unsynced writes) write so many pages that
/// one commit is a small part of them.
/// </para>
/// </summary>
internal sealed unsafe class RealMappedLogFile : IWritableFile
{
    private const long MaxGrowStep = 1 << 20;
    private const long PageSize = 4096;
    private const long MinLength = PageSize;
    internal const long InitializeAheadMinBytes = 1024;
    internal const long InitializeAheadMaxBytes = 16 << 10;
    internal const long InitializeAheadChunk = 64 << 10;
    // Written pages are dropped from this process's resident set a step at a time (see ReleaseWrittenPages).
    internal const long ReleaseStep = 1 << 20;
    // Pages are mapped writable this far ahead of the data at a time (see PopulateAhead).
    internal const long PopulateChunk = 256 << 10;
    private readonly SafeFileHandle _handle;
    private readonly SyscallFaults? _faults;
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private byte* _base;
    private long _length;
    private long _fileSize;
    // Blocks of [0, _reserved) are reserved; always at least _fileSize.
    private long _reserved;
    private long _syncedLength;
    private long _initializedEnd;
    // Pages below this offset have been dropped from the mapping's resident set (page-aligned).
    private long _releasedEnd;
    // Pages below this offset have been mapped writable ahead of the data (page-aligned).
    private long _populatedEnd;
    // False once the kernel refused to populate (too old): pages then fault in one by one.
    private bool _populate = OperatingSystem.IsLinux();
    private bool _disposed;

    private RealMappedLogFile(string path, SafeFileHandle handle, SyscallFaults? faults, MemoryMappedFile map, MemoryMappedViewAccessor view, long capacity)
    {
        Path = path;
        _handle = handle;
        _faults = faults;
        _map = map;
        _view = view;
        Capacity = capacity;
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _base = pointer + view.PointerOffset;
    }

    /// <summary>A mapped log, or (where blocks cannot be reserved) a buffered file the caller flushes after each record.</summary>
    public static IWritableFile Create(string path, long capacity, SyscallFaults? faults = null)
    {
        SafeFileHandle? handle = null;
        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        try
        {
            handle = RealFileSystem.CreateEmpty(path, FileAccess.ReadWrite);
            long initial = Math.Min(capacity, MinLength);
            // Whether blocks can be reserved here at all: the first page tells.
            if (!NativeMethods.Reserve(handle, path, 0, initial, faults?.For(Syscall.Reserve, path) ?? 0))
            {
                handle.Dispose();
                handle = RealFileSystem.CreateEmpty(path, FileAccess.Write);
                return new RealWritableFile(path, handle, faults) { Capacity = capacity };
            }
            // Mapping extends the file to the capacity (sparsely); shrink it back to one page and
            // grow it as data arrives. Never to zero: ext4 (auto_da_alloc) takes a truncation to
            // zero as the start of a replace-by-truncate and writes the whole file back when it is
            // closed, which would send every log to disk just before it is deleted.
            map = MemoryMappedFile.CreateFromFile(handle, null, capacity, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: true);
            view = map.CreateViewAccessor(0, capacity, MemoryMappedFileAccess.ReadWrite);
            RandomAccess.SetLength(handle, initial);
            // Shrinking frees every block past the new end, the reserved page included: reserve it
            // again. A log growing through holes would allocate each new block on its way to disk
            // (inside fsyncs) and meet a full disk as a SIGBUS, not an error.
            if (!NativeMethods.Reserve(handle, path, 0, initial, faults?.For(Syscall.Reserve, path) ?? 0))
                throw new LatticeIOException($"Reserving the first page of '{path}' failed after it had succeeded once.", path);
            return new RealMappedLogFile(path, handle, faults, map, view, capacity) { _fileSize = initial, _reserved = initial };
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or LatticeIOException)
        {
            view?.Dispose();
            map?.Dispose();
            handle?.Dispose();
            throw IoErrors.Wrap(ex, "Creating log", path);
        }
    }

    public string Path { get; }

    public long Length => _length;

    public long Capacity { get; }

    /// <summary>Where the pages mapped writable ahead of the data end (see <see cref="PopulateAhead"/>).</summary>
    internal long PopulatedEnd => _populatedEnd;

    /// <summary>False where the kernel does not populate mappings (before Linux 5.14, or not Linux).</summary>
    internal bool Populating => _populate;

    /// <summary>Where the pages zeroed ahead of the data end; 0 until the first time.</summary>
    internal long InitializedEnd => _initializedEnd;

    public void Append(ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (data.Length > Capacity - _length)
            throw new LatticeIOException($"Appending {data.Length} bytes to '{Path}' exceeds its reserved {Capacity} bytes.", Path);
        long end = _length + data.Length;
        if (end > _fileSize) Grow(end);
        if (end > _populatedEnd && _populate) PopulateAhead(end);
        data.CopyTo(new Span<byte>(_base + _length, data.Length));
        _length = end;
        if (end - _releasedEnd >= 2 * ReleaseStep) ReleaseWrittenPages();
    }

    public void AppendRecord(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload)
    {
        var space = RecordSpace(header.Length + payload.Length);
        payload.CopyTo(space[header.Length..]);
        PublishHeader(header, _length + space.Length);
    }

    public Span<byte> RecordSpace(int length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (length > Capacity - _length)
            throw new LatticeIOException($"Appending {length} bytes to '{Path}' exceeds its reserved {Capacity} bytes.", Path);
        long end = _length + length;
        if (end > _fileSize) Grow(end);
        if (end > _populatedEnd && _populate) PopulateAhead(end);
        return new Span<byte>(_base + _length, length);
    }

    public void CommitRecord(ReadOnlySpan<byte> header, int payloadLength)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        long end = _length + header.Length + payloadLength;
        if (end > _fileSize) throw new InvalidOperationException("CommitRecord without RecordSpace for the record.");
        PublishHeader(header, end);
    }

    /// <summary>Stores a record's header at the data's end, its payload already there; the record ends at <paramref name="end"/>.</summary>
    private void PublishHeader(ReadOnlySpan<byte> header, long end)
    {
        byte* at = _base + _length;
        header[4..].CopyTo(new Span<byte>(at + 4, header.Length - 4));
        // The checksum goes last, after a full fence: until it is there the record reads as unwritten.
        Thread.MemoryBarrier();
        header[..4].CopyTo(new Span<byte>(at, 4));
        _length = end;
        if (end - _releasedEnd >= 2 * ReleaseStep) ReleaseWrittenPages();
    }

    public void EnsureRoom(long bytes)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (bytes > Capacity - _length)
            throw new LatticeIOException($"Appending {bytes} bytes to '{Path}' exceeds its reserved {Capacity} bytes.", Path);
        if (_length + bytes > _fileSize) Grow(_length + bytes);
    }

    /// <summary>
    /// Maps the pages from the data's end to a chunk past <paramref name="end"/> (within the file)
    /// writable in one system call, so the copies that fill them take no page fault each: in a
    /// virtual machine a fault costs far more than filling the page, and a log fills one every
    /// few dozen records. The pages hold zeros until written, which read as unwritten log space,
    /// as the grown tail always has. Skipped while the log is being synced often (less than a
    /// chunk between fsyncs): each fsync would write the zeros ahead and leave the pages
    /// write-protected again, so the next write faults anyway.
    /// </summary>
    private void PopulateAhead(long end)
    {
        long start = Math.Max(_populatedEnd, _length & ~(PageSize - 1));
        long stop = Math.Min(_fileSize, ((end + PageSize - 1) & ~(PageSize - 1)) + PopulateChunk);
        if (_syncedLength > 0 && _length - _syncedLength < PopulateChunk)
        {
            // Frequent fsyncs: fault page by page, and look again a chunk later.
            _populatedEnd = Math.Min(_fileSize, (end + PageSize - 1) & ~(PageSize - 1));
            return;
        }
        if (stop > start && !NativeMethods.PopulateMappedPages(_base + start, stop - start))
        {
            _populate = false;
            return;
        }
        _populatedEnd = Math.Max(_populatedEnd, stop);
    }

    /// <summary>Pages below this offset no longer count in this process's resident set.</summary>
    internal long ReleasedEnd => _releasedEnd;

    /// <summary>
    /// Drops the pages the log has filled from this process's resident set, keeping the last
    /// step: a log is never read back through its mapping, and its pages (written or still dirty)
    /// stay in the page cache, where fsync and recovery find them. Without this a log's whole
    /// mapped length counts in the process's RSS until it is closed, as much as a memtable.
    /// </summary>
    private void ReleaseWrittenPages()
    {
        long end = (_length - ReleaseStep) & ~(PageSize - 1);
        if (end <= _releasedEnd) return;
        NativeMethods.ReleaseMappedPages(_base + _releasedEnd, end - _releasedEnd);
        _releasedEnd = end;
    }

    /// <summary>Bytes of disk reserved for this log (the file's blocks, written or not).</summary>
    internal long Reserved => _reserved;

    /// <summary>
    /// Pages past the end of the file must never be touched (SIGBUS): extend first, and reserve
    /// the blocks of the extension before the file covers them, so that no page of the mapping
    /// is ever backed by a hole. Doubling keeps a small log small and a large one at one
    /// fallocate and one ftruncate per MiB. On failure (a full disk) nothing has changed.
    /// </summary>
    private void Grow(long end)
    {
        long step = Math.Min(MaxGrowStep, _fileSize);
        long wanted = Math.Max(end, _fileSize + step);
        wanted = (wanted + MinLength - 1) & ~(MinLength - 1);
        long size = Math.Min(Capacity, wanted);
        if (size > _reserved)
        {
            NativeMethods.Reserve(_handle, Path, _reserved, size - _reserved, _faults?.For(Syscall.Reserve, Path) ?? 0);
            _reserved = size;
        }
        try { RandomAccess.SetLength(_handle, size); }
        catch (IOException ex) { throw IoErrors.Wrap(ex, "Extending", Path); }
        _fileSize = size;
    }

    public void Flush()
    {
        // Nothing to do: the bytes are already in the page cache.
    }

    public void Sync()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        long carried = _length - _syncedLength;
        if (carried is >= InitializeAheadMinBytes and <= InitializeAheadMaxBytes && _length + 2 * carried > _initializedEnd) InitializeAhead();
        try
        {
            // On Linux fsync writes back pages dirtied through the mapping too; elsewhere flush the view first.
            if (!OperatingSystem.IsLinux()) _view.Flush();
        }
        catch (IOException ex)
        {
            throw IoErrors.Wrap(ex, "Flushing the mapping of", Path);
        }
        NativeMethods.FlushToDisk(_handle, Path, _faults?.For(Syscall.FileSync, Path) ?? 0);
        _syncedLength = _length;
    }

    /// <summary>
    /// Zeroes the next chunk of whole pages past the data (never a byte of data: the page holding
    /// the end is left alone), so the coming fsync writes them out and marks their blocks written.
    /// Zeros past the end read as unwritten log space, as the grown tail always has.
    /// </summary>
    private void InitializeAhead()
    {
        long start = Math.Max(_initializedEnd, (_length + PageSize - 1) & ~(PageSize - 1));
        long end = Math.Min(Capacity & ~(PageSize - 1), start + InitializeAheadChunk);
        if (end <= start) return;
        if (end > _fileSize)
        {
            // Only a speed-up: a log that cannot grow now finds out at its next append, as before.
            try { Grow(end); }
            catch (LatticeIOException) { return; }
        }
        // A store dirties a page even where it already reads as zero; that is the point.
        new Span<byte>(_base + start, (int)(end - start)).Clear();
        _initializedEnd = end;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _base = null;
        var viewHandle = _view.SafeMemoryMappedViewHandle;
        viewHandle.ReleasePointer();
        // Unmap first: disposing an open accessor msyncs the whole mapping (MS_SYNC), which would
        // write every closed log to disk just before it is deleted. Durability never needs that:
        // a kill leaves the pages in the page cache, and Sync() fsyncs when power loss matters.
        viewHandle.Dispose();
        _view.Dispose();
        _map.Dispose();
        try { RandomAccess.SetLength(_handle, _length); }
        catch (IOException) { } // a grown tail left behind reads as unwritten zeros
        finally { _handle.Dispose(); }
    }
}
