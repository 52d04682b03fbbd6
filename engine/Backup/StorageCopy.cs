using System.Buffers;
using System.IO.Hashing;
using LatticeKV.Io;

namespace LatticeKV.Backup;

/// <summary>Moves bytes between the database's file system and a backup store, checksumming what passes.</summary>
internal static class StorageCopy
{
    /// <summary>
    /// Copies the first <paramref name="length"/> bytes of a database file into the store
    /// (committed); returns the XXH3-64 of the bytes the stored file holds. Between a real file and
    /// a <see cref="FileSystemBackupStorage"/> the kernel copies (<see cref="KernelCopy"/>);
    /// otherwise the bytes pass through a buffer.
    /// </summary>
    public static ulong Upload(IFileSystem fs, string source, long length, IBackupStorage storage, string path, Action<long>? progress, CancellationToken cancel)
        => UploadRange(fs, source, 0, length, storage, path, null, progress, cancel);

    /// <summary>
    /// <see cref="Upload"/> of the <paramref name="length"/> bytes from <paramref name="start"/>
    /// (a log's extension); every byte stored is also appended to <paramref name="running"/> when
    /// given (the checksum of the whole log, its prefix already hashed).
    /// </summary>
    public static ulong UploadRange(IFileSystem fs, string source, long start, long length, IBackupStorage storage, string path, XxHash3? running,
        Action<long>? progress, CancellationToken cancel)
    {
        using var output = storage.Create(path);
        ulong hash = (output is FileSystemBackupStorage.Writer writer ? KernelCopy(fs, source, start, length, writer, running, progress, cancel) : null)
            ?? FileCopy.Range(fs, source, start, length, running is null ? output.Write : data => { output.Write(data); running.Append(data); }, progress, cancel);
        output.Commit();
        return hash;
    }

    /// <summary>
    /// <see cref="Upload"/> by the kernel (copy_file_range, as cp does), each chunk read back from the
    /// copy and checksummed, so the checksum is of the bytes the backup holds. Null when the kernel
    /// cannot copy between the two files (the source is not a real file, another file system, no
    /// support) and nothing was written: the caller copies through a buffer.
    /// </summary>
    private static ulong? KernelCopy(IFileSystem fs, string source, long start, long length, FileSystemBackupStorage.Writer writer, XxHash3? running,
        Action<long>? progress, CancellationToken cancel)
    {
        using var input = fs.OpenRead(source);
        if (input is not RealRandomAccessFile real) return null;
        var hash = new XxHash3();
        var buffer = ArrayPool<byte>.Shared.Rent(FileCopy.ChunkSize);
        try
        {
            for (long offset = start, end = start + length; offset < end;)
            {
                cancel.ThrowIfCancellationRequested();
                var chunk = buffer.AsSpan(0, (int)Math.Min(FileCopy.ChunkSize, end - offset));
                int n = writer.CopyFrom(real.Handle, offset, chunk);
                if (n < 0 && offset == start) return null;
                if (n < 0) throw new LatticeIOException($"Copying '{source}' stopped being possible at byte {offset}", source);
                if (n < chunk.Length) throw new CorruptionException($"file is {offset + n} bytes long, {end} expected", source, offset + n);
                hash.Append(chunk);
                running?.Append(chunk);
                offset += n;
                progress?.Invoke(n);
            }
            return hash.GetCurrentHashAsUInt64();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Whether the store holds <paramref name="path"/> with exactly <paramref name="size"/> bytes (a file committed by an earlier run).</summary>
    public static bool IsStored(IBackupStorage storage, string path, long size)
    {
        if (!storage.Exists(path)) return false;
        try { return storage.GetSize(path) == size; }
        catch (FileNotFoundException) { return false; }
    }

    public static ulong UploadBytes(IBackupStorage storage, string path, ReadOnlySpan<byte> contents)
    {
        using var output = storage.Create(path);
        output.Write(contents);
        output.Commit();
        return XxHash3.HashToUInt64(contents);
    }

    public static byte[] ReadAll(IBackupStorage storage, string path, int maxSize)
    {
        var ms = new MemoryStream();
        using var input = storage.OpenRead(path);
        var (total, _, overflow) = Drain(input, maxSize, data => ms.Write(data), null, CancellationToken.None);
        if (overflow) throw new CorruptionException("file is larger than any this reader accepts", storage.Location + "/" + path, total);
        return ms.ToArray();
    }

    /// <summary>
    /// Copies a stored file to the database's file system (fsynced) and checks that it is exactly
    /// <paramref name="size"/> bytes with XXH3-64 <paramref name="checksum"/>.
    /// </summary>
    public static void Download(IBackupStorage storage, string path, long size, ulong checksum, IFileSystem fs, string destination, Action<long>? progress, CancellationToken cancel)
        => Download(storage, new BackupFileEntry(Path.GetFileName(path), path, "", size, checksum), fs, destination, progress, cancel);

    /// <summary>
    /// Copies a backup's file (its pieces one after the other) to the database's file system
    /// (fsynced), checking every stored file's size and checksum and, for pieces, the whole's.
    /// </summary>
    public static void Download(IBackupStorage storage, BackupFileEntry entry, IFileSystem fs, string destination, Action<long>? progress, CancellationToken cancel)
    {
        using var output = fs.CreateWritable(destination);
        if (ReadEntry(storage, entry, output.Append, progress, cancel) is { } problem)
            throw new CorruptionException("backup file " + problem.What, storage.Location + "/" + problem.Path, problem.Offset);
        output.Sync();
    }

    /// <summary>What is wrong with a backup's file (every piece read whole): the stored file at fault, what, and where; null when it is whole.</summary>
    public static (string Path, string What, long Offset)? Check(IBackupStorage storage, BackupFileEntry entry, Action<long>? progress, CancellationToken cancel)
        => ReadEntry(storage, entry, static _ => { }, progress, cancel);

    private static (string Path, string What, long Offset)? ReadEntry(IBackupStorage storage, BackupFileEntry entry, FileCopy.SpanAction sink, Action<long>? progress, CancellationToken cancel)
    {
        var whole = entry.Pieces is null ? null : new XxHash3();
        FileCopy.SpanAction both = whole is null ? sink : data => { sink(data); whole.Append(data); };
        foreach (var part in entry.Parts)
        {
            Stream input;
            try { input = storage.OpenRead(part.Path); }
            catch (FileNotFoundException) { return (part.Path, "is missing", -1); }
            using (input)
            {
                var (total, hash, overflow) = Drain(input, part.Size, both, progress, cancel);
                if (overflow) return (part.Path, $"is longer than the {part.Size} bytes recorded", part.Size);
                if (total != part.Size) return (part.Path, $"is {total} bytes, {part.Size} recorded", total);
                if (hash != part.Checksum) return (part.Path, "checksum mismatch", 0);
            }
        }
        if (whole is not null && whole.GetCurrentHashAsUInt64() != entry.Checksum)
            return (entry.Parts[^1].Path, $"checksum mismatch: the pieces of {entry.Name} together are not the bytes recorded", 0);
        return null;
    }

    /// <summary>Copies a stored file whose checksum is not recorded (an archived log: its records carry their own) and fsyncs it.</summary>
    public static void DownloadUnchecked(IBackupStorage storage, string path, IFileSystem fs, string destination, CancellationToken cancel)
    {
        using var input = storage.OpenRead(path);
        using var output = fs.CreateWritable(destination);
        Drain(input, long.MaxValue, output.Append, null, cancel);
        output.Sync();
    }

    /// <summary>Reads a stream to its end (stopping past <paramref name="limit"/> bytes), handing each chunk to <paramref name="sink"/>.</summary>
    private static (long Total, ulong Hash, bool Overflow) Drain(Stream input, long limit, FileCopy.SpanAction sink, Action<long>? progress, CancellationToken cancel)
    {
        var hash = new XxHash3();
        var buffer = ArrayPool<byte>.Shared.Rent(FileCopy.ChunkSize);
        try
        {
            long total = 0;
            while (true)
            {
                cancel.ThrowIfCancellationRequested();
                int n = input.ReadAtLeast(buffer.AsSpan(0, FileCopy.ChunkSize), FileCopy.ChunkSize, throwOnEndOfStream: false);
                if (n == 0) return (total, hash.GetCurrentHashAsUInt64(), false);
                total += n;
                if (total > limit) return (total, 0, true);
                sink(buffer.AsSpan(0, n));
                hash.Append(buffer.AsSpan(0, n));
                progress?.Invoke(n);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
