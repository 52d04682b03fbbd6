using LatticeKV.Cache;

namespace LatticeKV.Sst;

/// <summary>
/// A data block as stored in its table (verified, still compressed), kept in the compressed tier
/// of the block cache (<see cref="BlockCacheTiers"/>): a read that finds it decompresses it
/// instead of reading the file. See <see cref="PinnedEntry"/> for who may read its bytes.
/// </summary>
internal sealed class CompressedBlock(byte[] data, int length, byte type, BlockArrayPool pool) : PinnedEntry(data, pool)
{
    /// <summary>Stored bytes in <see cref="PinnedEntry.Data"/>.</summary>
    public int Length { get; } = length;

    /// <summary>The block's compression type byte.</summary>
    public byte Type { get; } = type;

    /// <summary>Bytes this entry holds in memory, as charged to the cache.</summary>
    public int Charge => Data.Length + 64;

    public ReadOnlySpan<byte> Stored => Data.AsSpan(0, Length);
}
