using System.Buffers;
using System.IO.Hashing;
using LatticeKV.Io;

namespace LatticeKV.Backup;

/// <summary>Moves bytes between the database's file system and a backup store, checksumming what passes.</summary>
internal static class StorageCopy
{
    private const int ChunkSize = 1 << 20;

    /// <summary>Copies the first <paramref name="length"/> bytes of a database file into the store (committed); returns their XXH3-64.</summary>
    public static ulong Upload(IFileSystem fs, string source, long length, IBackupStorage storage, string path, Action<long>? progress, CancellationToken cancel)
    {
        var hash = new XxHash3();
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            using var input = fs.OpenRead(source);
            using var output = storage.Create(path);
            long offset = 0;
            while (offset < length)
            {
                cancel.ThrowIfCancellationRequested();
                int want = (int)Math.Min(ChunkSize, length - offset);
                int n = input.ReadExactly(offset, buffer.AsSpan(0, want));
                if (n < want) throw new CorruptionException($"file is {offset + n} bytes long, {length} expected", source, offset + n);
                output.Write(buffer.AsSpan(0, n));
                hash.Append(buffer.AsSpan(0, n));
                offset += n;
                progress?.Invoke(n);
            }
            output.Commit();
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
        using var input = storage.OpenRead(path);
        var ms = new MemoryStream();
        var buffer = new byte[64 << 10];
        int n;
        while ((n = input.Read(buffer)) > 0)
        {
            ms.Write(buffer, 0, n);
            if (ms.Length > maxSize) throw new CorruptionException("file is larger than any this reader accepts", storage.Location + "/" + path, maxSize);
        }
        return ms.ToArray();
    }

    /// <summary>
    /// Copies a stored file to the database's file system (fsynced) and checks that it is exactly
    /// <paramref name="size"/> bytes with XXH3-64 <paramref name="checksum"/>.
    /// </summary>
    public static void Download(IBackupStorage storage, string path, long size, ulong checksum, IFileSystem fs, string destination, Action<long>? progress, CancellationToken cancel)
    {
        string location = storage.Location + "/" + path;
        var hash = new XxHash3();
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            using var input = OpenStored(storage, path);
            using var output = fs.CreateWritable(destination);
            long total = 0;
            while (true)
            {
                cancel.ThrowIfCancellationRequested();
                int n = input.ReadAtLeast(buffer.AsSpan(0, ChunkSize), ChunkSize, throwOnEndOfStream: false);
                if (n == 0) break;
                total += n;
                if (total > size) throw new CorruptionException($"backup file is longer than the {size} bytes recorded", location, size);
                output.Append(buffer.AsSpan(0, n));
                hash.Append(buffer.AsSpan(0, n));
                progress?.Invoke(n);
            }
            if (total != size) throw new CorruptionException($"backup file is {total} bytes, {size} recorded", location, total);
            if (hash.GetCurrentHashAsUInt64() != checksum) throw new CorruptionException("backup file checksum mismatch", location, 0);
            output.Sync();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Whether a stored file is <paramref name="size"/> bytes with XXH3-64 <paramref name="checksum"/> (read whole).</summary>
    public static string? Check(IBackupStorage storage, string path, long size, ulong checksum, Action<long>? progress, CancellationToken cancel)
    {
        var hash = new XxHash3();
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            using var input = storage.OpenRead(path);
            long total = 0;
            while (true)
            {
                cancel.ThrowIfCancellationRequested();
                int n = input.ReadAtLeast(buffer.AsSpan(0, ChunkSize), ChunkSize, throwOnEndOfStream: false);
                if (n == 0) break;
                total += n;
                if (total > size) return $"longer than the {size} bytes recorded";
                hash.Append(buffer.AsSpan(0, n));
                progress?.Invoke(n);
            }
            if (total != size) return $"{total} bytes, {size} recorded";
            return hash.GetCurrentHashAsUInt64() == checksum ? null : "checksum mismatch";
        }
        catch (FileNotFoundException)
        {
            return "missing";
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static Stream OpenStored(IBackupStorage storage, string path)
    {
        try { return storage.OpenRead(path); }
        catch (FileNotFoundException ex) { throw new CorruptionException("backup file is missing", storage.Location + "/" + path, -1, ex); }
    }
}
