using ZstdSharp;

namespace LatticeKV.Sst;

/// <summary>
/// Zstandard for blocks (<see cref="CompressionType.Zstd"/>; FORMAT.md §4.3): a single zstd frame
/// that records its content size. Compressing needs a per-writer <see cref="Compressor"/> (its
/// context is not thread-safe and costs memory, so a table builder owns one); decompression
/// uses one context per thread, since any reader thread may miss the cache.
/// </summary>
internal static class ZstdBlock
{
    [ThreadStatic] private static Decompressor? t_decompressor;

    /// <summary>Compresses <paramref name="contents"/> into <paramref name="scratch"/> (grown as needed); false when zstd cannot (the caller stores the block as built).</summary>
    public static bool TryCompress(Compressor compressor, ReadOnlySpan<byte> contents, ref byte[] scratch, out int written)
    {
        int max = Compressor.GetCompressBound(contents.Length);
        if (scratch.Length < max)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(scratch);
            scratch = System.Buffers.ArrayPool<byte>.Shared.Rent(max);
        }
        return compressor.TryWrap(contents, scratch, out written);
    }

    /// <summary>
    /// The size the zstd frame <paramref name="stored"/> records for its contents, checked
    /// against the block size limit. Damage is a <see cref="CorruptionException"/> naming
    /// <paramref name="path"/> and <paramref name="offset"/>.
    /// </summary>
    public static int DecodedLength(ReadOnlySpan<byte> stored, string path, long offset)
    {
        ulong claimed;
        try { claimed = Decompressor.GetDecompressedSize(stored); }
        catch (ZstdException ex)
        {
            throw new CorruptionException("bad zstd frame header", path, offset, ex);
        }
        // Every frame this engine writes records its size; zstd compresses runs far beyond any
        // fixed ratio, so the size limit of a block is the only bound on the claim.
        if (claimed == 0 && stored.Length > 32 || claimed > BlockTrailer.MaxBlockSize)
            throw new CorruptionException($"zstd block of {stored.Length} bytes claims {claimed} bytes", path, offset);
        return (int)claimed;
    }

    /// <summary>
    /// Decompresses the zstd frame <paramref name="stored"/> into <paramref name="output"/>, of
    /// exactly <see cref="DecodedLength"/> bytes. Damage of any kind is a
    /// <see cref="CorruptionException"/> naming <paramref name="path"/> and <paramref name="offset"/>.
    /// </summary>
    public static void DecompressInto(ReadOnlySpan<byte> stored, Span<byte> output, string path, long offset)
    {
        int written;
        bool ok;
        try { ok = (t_decompressor ??= new Decompressor()).TryUnwrap(stored, output, out written); }
        catch (ZstdException ex)
        {
            throw new CorruptionException("zstd data is damaged", path, offset, ex);
        }
        if (!ok || written != output.Length) throw new CorruptionException("zstd data is damaged", path, offset);
    }
}
