namespace LatticeKV.Io;

/// <summary>
/// The single seam between the engine and storage. Every file operation the engine performs
/// goes through here, so tests can substitute an in-memory file system that simulates a
/// crash (<see cref="MemFileSystem"/>) or one that injects faults.
/// Paths are full paths; implementations must be safe for concurrent use.
/// Failures surface as <see cref="LatticeIOException"/> (or <see cref="System.IO.FileNotFoundException"/>
/// translated by callers where absence is expected).
/// </summary>
internal interface IFileSystem
{
    /// <summary>Creates (or truncates) a file for appending.</summary>
    IWritableFile CreateWritable(string path);

    /// <summary>
    /// Opens <paramref name="path"/> for appending after its last byte, creating it when missing
    /// (side files such as <c>EVENTS</c>). The default copies the old bytes into a new file, for
    /// file systems without a native append (the in-memory one); side files are small.
    /// </summary>
    IWritableFile OpenAppend(string path)
    {
        byte[] existing = FileExists(path) ? this.ReadAllBytes(path) : [];
        var file = CreateWritable(path);
        file.Append(existing);
        return file;
    }

    /// <summary>
    /// Creates (or truncates) a write-ahead log with room reserved for <paramref name="capacity"/>
    /// bytes; appending past <see cref="IWritableFile.Capacity"/> fails. After
    /// <see cref="IWritableFile.Flush"/> (a no-op when the log is memory-mapped) the bytes survive a
    /// process kill. A clean close trims the file to what was written; after a crash any
    /// unwritten tail reads as zeros.
    /// </summary>
    IWritableFile CreateLog(string path, long capacity);

    /// <summary>Opens an existing file for positional reads.</summary>
    IRandomAccessFile OpenRead(string path);

    bool FileExists(string path);

    bool DirectoryExists(string path);

    void CreateDirectory(string path);

    /// <summary>Names (not paths) of the regular files directly inside <paramref name="directory"/>.</summary>
    IReadOnlyList<string> ListFiles(string directory);

    void DeleteFile(string path);

    /// <summary>Atomically replaces <paramref name="to"/> with <paramref name="from"/>.</summary>
    void RenameFile(string from, string to);

    /// <summary>
    /// Gives the immutable file <paramref name="existing"/> the second name <paramref name="link"/>
    /// (a hard link); false where the file system cannot, and the caller copies.
    /// </summary>
    bool TryHardLink(string existing, string link) => false;

    /// <summary>Atomically renames the directory <paramref name="from"/> to <paramref name="to"/>, which must not exist.</summary>
    void RenameDirectory(string from, string to)
    {
        try { Directory.Move(from, to); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { throw IoErrors.Wrap(ex, "Renaming directory", from); }
    }

    /// <summary>Removes the empty directory <paramref name="path"/>.</summary>
    void DeleteEmptyDirectory(string path)
    {
        try { Directory.Delete(path, recursive: false); }
        catch (DirectoryNotFoundException) { }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { throw IoErrors.Wrap(ex, "Deleting directory", path); }
    }

    long GetFileSize(string path);

    /// <summary>Makes the directory's entries (creates, renames, deletes) durable.</summary>
    void SyncDirectory(string path);

    /// <summary>
    /// Locks <paramref name="path"/>, creating it if needed: exclusively, or shared with other
    /// shared holders (read-only opens). Throws <see cref="DbLockedException"/> when a holder
    /// of the other kind, or any holder for an exclusive lock, has it.
    /// </summary>
    IDisposable LockFile(string path, bool shared = false);
}

/// <summary>An append-only file. Not thread-safe: one writer at a time.</summary>
internal interface IWritableFile : IDisposable
{
    string Path { get; }

    /// <summary>Bytes appended so far, including any still buffered.</summary>
    long Length { get; }

    /// <summary>Most bytes this file can hold (reserved logs); <see cref="long.MaxValue"/> when unbounded.</summary>
    long Capacity => long.MaxValue;

    /// <summary>Appends bytes; they may stay in a user-space buffer until <see cref="Flush"/>.</summary>
    void Append(ReadOnlySpan<byte> data);

    /// <summary>
    /// Appends a log record's header and payload. A file whose bytes become visible as they are
    /// copied (a memory-mapped log) stores the payload first and the header's leading checksum
    /// last, so a process killed mid-record leaves a zero checksum: recognisably unfinished.
    /// </summary>
    void AppendRecord(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload)
    {
        Append(header);
        Append(payload);
    }

    /// <summary>
    /// The file's own memory for the next <paramref name="length"/> bytes (a log record's header
    /// and payload), for a writer that produces the payload straight into it and then calls
    /// <see cref="CommitRecord"/>; empty when the file has no such memory (append as usual).
    /// Room must have been made (<see cref="EnsureRoom"/>). What is stored there may reach the
    /// disk at once (a mapped log), before the record is committed: store only bytes that may.
    /// The span is valid until the next call on the file.
    /// </summary>
    Span<byte> RecordSpace(int length) => default;

    /// <summary>
    /// Completes the record whose payload (<paramref name="payloadLength"/> bytes) was stored after
    /// the header's place in <see cref="RecordSpace"/>: stores <paramref name="header"/>, its
    /// leading checksum last, as <see cref="AppendRecord"/> does.
    /// </summary>
    void CommitRecord(ReadOnlySpan<byte> header, int payloadLength)
        => throw new NotSupportedException("This file exposes no record space.");

    /// <summary>
    /// Makes sure the next <paramref name="bytes"/> bytes can be appended without failing (a
    /// reserved log grows its file and blocks ahead now), so a record is either appended whole or,
    /// when this throws, not at all. A no-op for files that need no room made.
    /// </summary>
    void EnsureRoom(long bytes) { }

    /// <summary>Hands buffered bytes to the operating system: they survive a process kill.</summary>
    void Flush();

    /// <summary>Flushes, then forces the data to stable storage: it survives power loss.</summary>
    void Sync();
}

/// <summary>A file read by position. Thread-safe.</summary>
internal interface IRandomAccessFile : IDisposable
{
    string Path { get; }

    long Length { get; }

    /// <summary>Reads up to <paramref name="buffer"/>.Length bytes at <paramref name="offset"/>;
    /// returns fewer only at end of file.</summary>
    int Read(long offset, Span<byte> buffer);
}

internal static class FileSystemExtensions
{
    /// <summary>Reads a whole (small) file such as CURRENT.</summary>
    public static byte[] ReadAllBytes(this IFileSystem fs, string path)
    {
        using var file = fs.OpenRead(path);
        long length = file.Length;
        if (length > int.MaxValue) throw new LatticeIOException($"File '{path}' is too large to read whole.", path);
        var bytes = new byte[length];
        int read = file.ReadExactly(0, bytes);
        return read == bytes.Length ? bytes : bytes[..read];
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or the file ends; returns bytes read.</summary>
    public static int ReadExactly(this IRandomAccessFile file, long offset, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = file.Read(offset + total, buffer[total..]);
            if (n <= 0) break;
            total += n;
        }
        return total;
    }

    /// <summary>Replaces a small file atomically and durably: <c>PATH.tmp</c> written and fsynced, renamed over <paramref name="path"/>, the directory fsynced.</summary>
    public static void ReplaceDurably(this IFileSystem fs, string path, ReadOnlySpan<byte> data)
    {
        string temp = path + ".tmp";
        fs.WriteAllBytesSynced(temp, data);
        fs.RenameFile(temp, path);
        fs.SyncDirectory(Path.GetDirectoryName(path)!);
    }

    /// <summary>Writes a small file durably: write, fsync, close. The caller renames and syncs the directory.</summary>
    public static void WriteAllBytesSynced(this IFileSystem fs, string path, ReadOnlySpan<byte> data)
    {
        using var file = fs.CreateWritable(path);
        file.Append(data);
        file.Sync();
    }
}
