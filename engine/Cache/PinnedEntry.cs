namespace LatticeKV.Cache;

/// <summary>
/// A cached value whose bytes may live in an array from a <see cref="BlockArrayPool"/>: the
/// last <see cref="PinCountedEntry.Unpin"/> hands the array back to the pool for another value
/// (see <see cref="PinCountedEntry"/> for who may read it, and when). A holder that never
/// unpins only keeps the array from being reused; the collector frees it.
/// </summary>
internal abstract class PinnedEntry(byte[] data, BlockArrayPool? pool) : PinCountedEntry
{
    /// <summary>The bytes (possibly longer than the value; see the subclass's length).</summary>
    public byte[] Data { get; } = data;

    protected override void Release() => pool?.Return(Data);
}
