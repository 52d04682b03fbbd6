using System.Buffers.Binary;
using System.IO.Hashing;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace LatticeKV.Sst;

/// <summary>
/// A cache-local ("blocked") bloom filter over the user keys of one table (FORMAT.md,
/// "Filter block"). The 64-bit XXH3 hash of a key picks one 64-byte cache line with its high
/// half; its low half drives every probe inside that line, so a lookup touches one cache
/// line. At 10 bits per key this gives about 1% false positives.
/// <code>
/// [bit array: num_lines × 64 bytes] [num_probes: 1 byte] [format: 1 byte = 1]
/// </code>
/// </summary>
internal static class BloomFilter
{
    public const byte FormatCacheLocal = 1;
    private const int LineBytes = 64;
    private const int LineBits = LineBytes * 8;
    private const int MetadataSize = 2;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Hash(ReadOnlySpan<byte> userKey) => XxHash3.HashToUInt64(userKey);

    public static int ProbesFor(int bitsPerKey) => Math.Clamp((int)Math.Round(bitsPerKey * 0.6), 1, 16);

    /// <summary>Builds the filter block for the given key hashes (duplicates are harmless).</summary>
    public static byte[] Build(ReadOnlySpan<ulong> hashes, int bitsPerKey)
    {
        var filter = new byte[SizeFor(hashes.Length, bitsPerKey)];
        Build(hashes, bitsPerKey, filter);
        return filter;
    }

    /// <summary>Bytes of the filter block for <paramref name="keyCount"/> keys.</summary>
    public static int SizeFor(int keyCount, int bitsPerKey) => Lines(keyCount, bitsPerKey) * LineBytes + MetadataSize;

    /// <summary>
    /// Builds the filter block into the first <see cref="SizeFor"/> bytes of
    /// <paramref name="destination"/>, whatever they held before (a pooled array's earlier
    /// contents never reach the block), and returns its length.
    /// </summary>
    public static int Build(ReadOnlySpan<ulong> hashes, int bitsPerKey, Span<byte> destination)
    {
        int lines = Lines(hashes.Length, bitsPerKey);
        int probes = ProbesFor(bitsPerKey);
        int length = lines * LineBytes + MetadataSize;
        var filter = destination[..length];
        var bits = filter[..(lines * LineBytes)];
        bits.Clear();
        foreach (ulong h in hashes) SetProbes(bits, lines, probes, h);
        filter[^2] = (byte)probes;
        filter[^1] = FormatCacheLocal;
        return length;
    }

    /// <summary>
    /// An empty filter for <paramref name="keyCount"/> keys in the first <see cref="SizeFor"/>
    /// bytes of <paramref name="destination"/> (cleared), to be filled one key at a time by
    /// <see cref="Add"/> where the hashes are not at hand together. Returns its length.
    /// </summary>
    public static int Initialize(int keyCount, int bitsPerKey, Span<byte> destination)
    {
        int lines = Lines(keyCount, bitsPerKey);
        int length = lines * LineBytes + MetadataSize;
        var filter = destination[..length];
        filter.Clear();
        filter[^2] = (byte)ProbesFor(bitsPerKey);
        filter[^1] = FormatCacheLocal;
        return length;
    }

    /// <summary>Adds a key's hash to a filter made by <see cref="Initialize"/>: the bits <see cref="Build(ReadOnlySpan{ulong}, int, Span{byte})"/> would set.</summary>
    public static void Add(Span<byte> filter, ulong hash)
    {
        int lines = (filter.Length - MetadataSize) / LineBytes;
        SetProbes(filter[..(lines * LineBytes)], lines, filter[^2], hash);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SetProbes(Span<byte> bits, int lines, int probes, ulong h)
    {
        int line = FastRange((uint)(h >> 32), lines);
        var lineBits = bits.Slice(line * LineBytes, LineBytes);
        uint h2 = (uint)h;
        for (int i = 0; i < probes; i++)
        {
            int bit = (int)(h2 >> 23); // top 9 bits: 0..511
            lineBits[bit >> 3] |= (byte)(1 << (bit & 7));
            h2 *= 0x9E3779B9u;
        }
    }

    private static int Lines(int keyCount, int bitsPerKey)
    {
        long totalBits = Math.Max(1, (long)keyCount * bitsPerKey);
        return (int)Math.Max(1, Math.Min((totalBits + LineBits - 1) / LineBits, int.MaxValue / LineBytes - 1));
    }

    /// <summary>Checks the shape of a filter block read from disk.</summary>
    public static void Validate(ReadOnlySpan<byte> filter)
    {
        if (filter.Length < MetadataSize + LineBytes || (filter.Length - MetadataSize) % LineBytes != 0)
            throw new CorruptionException($"filter block of {filter.Length} bytes has no valid bit array");
        if (filter[^1] != FormatCacheLocal) throw new CorruptionException($"unknown filter format {filter[^1]}");
        if (filter[^2] is 0 or > 30) throw new CorruptionException($"filter probe count {filter[^2]} is invalid");
    }

    /// <summary>False when the key is certainly absent; true when it may be present.</summary>
    public static bool MayContain(ReadOnlySpan<byte> filter, ulong hash)
    {
        int lines = (filter.Length - MetadataSize) / LineBytes;
        int probes = filter[^2];
        int line = FastRange((uint)(hash >> 32), lines);
        var lineBits = filter.Slice(line * LineBytes, LineBytes);
        uint h2 = (uint)hash;
        for (int i = 0; i < probes; i++)
        {
            int bit = (int)(h2 >> 23);
            if ((lineBits[bit >> 3] & (1 << (bit & 7))) == 0) return false;
            h2 *= 0x9E3779B9u;
        }
        return true;
    }

    /// <summary>
    /// Offset in a filter of <paramref name="filterLength"/> bytes of the cache line a probe for
    /// <paramref name="hash"/> reads, so that several filters' lines can be loaded ahead with
    /// their memory latencies overlapping; -1 for a filter without lines.
    /// </summary>
    public static int ProbedLine(int filterLength, ulong hash)
    {
        int lines = (filterLength - MetadataSize) / LineBytes;
        return lines <= 0 ? -1 : FastRange((uint)(hash >> 32), lines) * LineBytes;
    }

    /// <summary>Maps a 32-bit hash uniformly onto [0, n) without division (Lemire).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int FastRange(uint hash, int n) => (int)(((ulong)hash * (uint)n) >> 32);

    /// <summary>Fraction of set bits, for inspection.</summary>
    public static double FillRatio(ReadOnlySpan<byte> filter)
    {
        var bits = filter[..^MetadataSize];
        long set = 0;
        for (int i = 0; i + 8 <= bits.Length; i += 8) set += BitOperations.PopCount(BinaryPrimitives.ReadUInt64LittleEndian(bits[i..]));
        return bits.Length == 0 ? 0 : set / (bits.Length * 8.0);
    }
}
