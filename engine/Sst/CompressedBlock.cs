using LatticeKV.Cache;
using LatticeKV.Io;

namespace LatticeKV.Sst;

/// <summary>
/// A data block as stored in its table (verified, still compressed), kept in the compressed tier
/// of the block cache (<see cref="BlockCacheTiers"/>): a read that finds it decompresses it
/// instead of reading the file. See <see cref="PinCountedEntry"/> for who may read its bytes.
/// <para>
/// The bytes live outside the managed heap and are freed by the last unpin, as a native
/// engine's cache frees an evicted block: the tier turns over whenever flushes and compactions
/// replace the tables it caches, and on the managed heap every block it dropped had lived long
/// enough to be promoted, so it stayed resident as garbage until a full collection (arrays kept
/// for reuse instead matched the sizes read next too rarely to absorb the turnover). A block
/// whose last holder never unpins is freed by its buffer's finalizer.
/// </para>
/// </summary>
internal sealed class CompressedBlock : PinCountedEntry
{
    /// <summary>What an entry costs beyond its bytes: this object, its buffer's and the C heap's header.</summary>
    public const int Overhead = 128;

    private readonly NativeBuffer<byte> _bytes;

    /// <summary>A copy of <paramref name="stored"/>, compressed with <paramref name="type"/>, pinned for its creator.</summary>
    public CompressedBlock(ReadOnlySpan<byte> stored, byte type)
    {
        _bytes = new NativeBuffer<byte>(stored);
        Type = type;
    }

    /// <summary>Stored bytes.</summary>
    public int Length => _bytes.Length;

    /// <summary>The block's compression type byte.</summary>
    public byte Type { get; }

    /// <summary>Bytes this entry holds in memory, as charged to the cache.</summary>
    public int Charge => Length + Overhead;

    /// <summary>The stored bytes; only while pinned.</summary>
    public ReadOnlySpan<byte> Stored => _bytes.Span;

    protected override void Release() => _bytes.Dispose();
}
