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
    {
        using var output = storage.Create(path);
        ulong hash = (output is FileSystemBackupStorage.Writer writer ? KernelCopy(fs, source, length, writer, progress, cancel) : null)
            ?? FileCopy.Prefix(fs, source, length, output.Write, progress, cancel);
        output.Commit();
        return hash;
    }

    /// <summary>
    /// <see cref="Upload"/> by the kernel (copy_file_range, as cp does), each chunk read back from the
    /// copy and checksummed, so the checksum is of the bytes the backup holds. Null when the kernel
    /// cannot copy between the two files (the source is not a real file, another file system, no
    /// support) and nothing was written: the caller copies through a buffer.
    /// </summary>
    private static ulong? KernelCopy(IFileSystem fs, string source, long length, FileSystemBackupStorage.Writer writer, Action<long>? progress, CancellationToken cancel)
    {
        using var input = fs.OpenRead(source);
        if (input is not RealRandomAccessFile real) return null;
        var hash = new XxHash3();
        var buffer = ArrayPool<byte>.Shared.Rent(FileCopy.ChunkSize);
        try
        {
            for (long offset = 0; offset < length;)
            {
                cancel.ThrowIfCancellationRequested();
                var chunk = buffer.AsSpan(0, (int)Math.Min(FileCopy.ChunkSize, length - offset));
                int n = writer.CopyFrom(real.Handle, offset, chunk);
                if (n < 0 && offset == 0) return null;
                if (n < 0) throw new LatticeIOException($"Copying '{source}' stopped being possible at byte {offset}", source);
                if (n < chunk.Length) throw new CorruptionException($"file is {offset + n} bytes long, {length} expected", source, offset + n);
                hash.Append(chunk);
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
    {
        string location = storage.Location + "/" + path;
        Stream input;
        try { input = storage.OpenRead(path); }
        catch (FileNotFoundException ex) { throw new CorruptionException("backup file is missing", location, -1, ex); }
        using (input)
        {
            using var output = fs.CreateWritable(destination);
            var (total, hash, overflow) = Drain(input, size, output.Append, progress, cancel);
            if (overflow) throw new CorruptionException($"backup file is longer than the {size} bytes recorded", location, size);
            if (total != size) throw new CorruptionException($"backup file is {total} bytes, {size} recorded", location, total);
            if (hash != checksum) throw new CorruptionException("backup file checksum mismatch", location, 0);
            output.Sync();
        }
    }

    /// <summary>Copies a stored file whose checksum is not recorded (an archived log: its records carry their own) and fsyncs it.</summary>
    public static void DownloadUnchecked(IBackupStorage storage, string path, IFileSystem fs, string destination, CancellationToken cancel)
    {
        using var input = storage.OpenRead(path);
        using var output = fs.CreateWritable(destination);
        Drain(input, long.MaxValue, output.Append, null, cancel);
        output.Sync();
    }

    /// <summary>What is wrong with a stored file (read whole), or null when it is <paramref name="size"/> bytes with XXH3-64 <paramref name="checksum"/>.</summary>
    public static string? Check(IBackupStorage storage, string path, long size, ulong checksum, Action<long>? progress, CancellationToken cancel)
    {
        Stream input;
        try { input = storage.OpenRead(path); }
        catch (FileNotFoundException) { return "missing"; }
        using (input)
        {
            var (total, hash, overflow) = Drain(input, size, static _ => { }, progress, cancel);
            if (overflow) return $"longer than the {size} bytes recorded";
            if (total != size) return $"{total} bytes, {size} recorded";
            return hash == checksum ? null : "checksum mismatch";
        }
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
