using System.Buffers.Binary;

namespace LatticeKV.Bench.Runner;

/// <summary>
/// Keys and values as db_bench makes them: 16-byte keys holding a big-endian counter (so
/// sequential numbers are sorted keys), and 100-byte values of printable random bytes that
/// compress to about half (a random half repeated).
/// </summary>
public sealed class KeyValueGenerator(int valueSize = 100, int seed = 301)
{
    public const int KeySize = 16;
    private readonly byte[] _pool = BuildPool(seed, 1 << 20, valueSize);
    private int _poolPos;

    public int ValueSize { get; } = valueSize;

    public static void Key(long n, Span<byte> key)
    {
        key[..8].Clear();
        BinaryPrimitives.WriteInt64BigEndian(key[8..], n);
    }

    public static byte[] Key(long n)
    {
        var k = new byte[KeySize];
        Key(n, k);
        return k;
    }

    /// <summary>The next value (a window of a precomputed pool, like db_bench).</summary>
    public ReadOnlySpan<byte> NextValue()
    {
        if (_poolPos + ValueSize > _pool.Length) _poolPos = 0;
        var v = _pool.AsSpan(_poolPos, ValueSize);
        _poolPos += ValueSize;
        return v;
    }

    private static byte[] BuildPool(int seed, int size, int valueSize)
    {
        var rnd = new Random(seed);
        var pool = new byte[size];
        int half = Math.Max(1, valueSize / 2);
        for (int pos = 0; pos < size; pos += valueSize)
        {
            int len = Math.Min(valueSize, size - pos);
            var piece = pool.AsSpan(pos, len);
            for (int i = 0; i < Math.Min(half, len); i++) piece[i] = (byte)(' ' + rnd.Next(95));
            for (int i = half; i < len; i++) piece[i] = piece[i - half];
        }
        return pool;
    }
}
