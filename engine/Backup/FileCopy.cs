using System.Buffers;
using System.IO.Hashing;
using LatticeKV.Io;

namespace LatticeKV.Backup;

/// <summary>Copies files (or their first bytes) through the file-system seam, fsynced, checksumming what passes.</summary>
internal static class FileCopy
{
    public const int ChunkSize = 1 << 20;

    /// <summary>
    /// Copies the first <paramref name="length"/> bytes of <paramref name="source"/> to
    /// <paramref name="destination"/> (created or emptied) and fsyncs it. Returns the XXH3-64
    /// of the bytes copied. A source shorter than <paramref name="length"/> is an error: the copy
    /// would silently lack what the caller expects.
    /// </summary>
    public static ulong Copy(IFileSystem from, string source, IFileSystem to, string destination, long length, Action<long>? progress = null, CancellationToken cancel = default)
    {
        using var output = to.CreateWritable(destination);
        ulong hash = Prefix(from, source, length, output.Append, progress, cancel);
        output.Sync();
        return hash;
    }

    /// <summary>Reads the first <paramref name="length"/> bytes of a file in chunks, handing each to <paramref name="sink"/>; returns their XXH3-64.</summary>
    public static ulong Prefix(IFileSystem fs, string source, long length, SpanAction sink, Action<long>? progress, CancellationToken cancel)
        => Range(fs, source, 0, length, sink, progress, cancel);

    /// <summary>Reads <paramref name="length"/> bytes of a file from <paramref name="start"/> in chunks, handing each to <paramref name="sink"/>; returns their XXH3-64.</summary>
    public static ulong Range(IFileSystem fs, string source, long start, long length, SpanAction sink, Action<long>? progress, CancellationToken cancel)
    {
        var hash = new XxHash3();
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            using var input = fs.OpenRead(source);
            long offset = start, end = start + length;
            while (offset < end)
            {
                cancel.ThrowIfCancellationRequested();
                int want = (int)Math.Min(ChunkSize, end - offset);
                int n = input.ReadExactly(offset, buffer.AsSpan(0, want));
                if (n < want) throw new CorruptionException($"file is {offset + n} bytes long, {end} expected", source, offset + n);
                sink(buffer.AsSpan(0, n));
                hash.Append(buffer.AsSpan(0, n));
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

    public delegate void SpanAction(ReadOnlySpan<byte> data);

    /// <summary>Writes <paramref name="contents"/> as <paramref name="destination"/> and fsyncs it; returns its XXH3-64.</summary>
    public static ulong Write(IFileSystem to, string destination, ReadOnlySpan<byte> contents)
    {
        to.WriteAllBytesSynced(destination, contents);
        return XxHash3.HashToUInt64(contents);
    }

    /// <summary>XXH3-64 of a whole file, or null when it is not <paramref name="expectedLength"/> bytes long.</summary>
    public static ulong? Checksum(IFileSystem fs, string path, long expectedLength, CancellationToken cancel = default)
    {
        if (fs.GetFileSize(path) != expectedLength) return null;
        try { return Prefix(fs, path, expectedLength, static _ => { }, null, cancel); }
        catch (CorruptionException) { return null; }
    }
}
