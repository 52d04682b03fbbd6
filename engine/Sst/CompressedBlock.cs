using System.Runtime.CompilerServices;
using LatticeKV.Cache;
using LatticeKV.Io;

namespace LatticeKV.Sst;

/// <summary>
/// A data block as stored in its table (verified, still compressed), kept in the compressed tier
/// of the block cache (<see cref="BlockCacheTiers"/>): a read that finds it decompresses it
/// instead of reading the file. See <see cref="PinCountedEntry"/> for who may read its bytes.
/// <para>
/// The bytes live outside the managed heap, in a block of the tier's <see cref="NativeBlockPool"/>
/// that the last unpin gives back, as a native engine's cache frees an evicted block: the tier
/// turns over whenever flushes and compactions replace the tables it caches, and on the managed
/// heap every block it dropped had lived long enough to be promoted, so it stayed resident as
/// garbage until a full collection. A block whose last holder never unpins is freed by its
/// finalizer, to the C heap and never to the pool: a holder that broke the pin protocol may
/// still read a span of it, and a pooled block would be written over by the next block read.
/// </para>
/// </summary>
internal sealed unsafe class CompressedBlock : PinCountedEntry
{
    /// <summary>What an entry costs beyond its buffer: this object and the C heap's header.</summary>
    public const int Overhead = 128;

    private readonly NativeBlockPool? _pool;
    private readonly CompressedBlockObjects? _recycler; // where a released block goes to be reused
    private int _size; // bytes of the buffer, at least Length
    private nint _address; // 0 once released

    /// <summary>
    /// A copy of <paramref name="stored"/>, compressed with <paramref name="type"/>, pinned for its
    /// creator, in a block of <paramref name="pool"/> (or one of its exact size from the C heap).
    /// </summary>
    public CompressedBlock(ReadOnlySpan<byte> stored, byte type, NativeBlockPool? pool = null)
    {
        Length = stored.Length;
        Type = type;
        _pool = pool;
        if (pool is not null) _address = pool.Rent(Length, out _size);
        else
        {
            _size = Math.Max(1, Length);
            _address = (nint)OffHeap.Allocate((nuint)_size);
        }
        stored.CopyTo(new Span<byte>((void*)_address, Length));
    }

    /// <summary>
    /// Takes over <paramref name="address"/>, a block of <paramref name="size"/> bytes rented from
    /// <paramref name="pool"/> whose first <paramref name="length"/> bytes are the verified stored
    /// bytes (read there from the file, so they are not copied again); pinned for its creator.
    /// Once released it goes to <paramref name="recycler"/> (when given) to hold another block.
    /// </summary>
    public CompressedBlock(nint address, int size, int length, byte type, NativeBlockPool pool, CompressedBlockObjects? recycler = null)
    {
        _pool = pool;
        _recycler = recycler;
        Adopt(address, size, length, type);
    }

    private void Adopt(nint address, int size, int length, byte type)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, size);
        Length = length;
        Type = type;
        _size = size;
        _address = address;
    }

    /// <summary>
    /// A released block of <see cref="CompressedBlockObjects"/> holding another block's bytes,
    /// pinned for its creator (<see cref="CompressedBlock(nint, int, int, byte, NativeBlockPool, CompressedBlockObjects?)"/>).
    /// Readers that found it in the cache before it was released may still hold the object: they
    /// pin it only if it is not released, and then check it is still in the slot they found it in
    /// (<see cref="TableReader"/>'s lookup), so none reads the new bytes as the old block's.
    /// </summary>
    internal void Reuse(nint address, int size, int length, byte type)
    {
        CacheSlots = null;
        CacheIndex = 0;
        CacheCharge = 0;
        CacheFrequency = 0;
        Anticipation = 0;
        Adopt(address, size, length, type);
        Revive();
    }

    /// <summary>Stored bytes.</summary>
    public int Length { get; private set; }

    /// <summary>The block's compression type byte.</summary>
    public byte Type { get; private set; }

    /// <summary>Bytes this entry holds in memory, as charged to the cache.</summary>
    public int Charge => _size + Overhead;

    /// <summary>The stored bytes; only while pinned (afterwards it throws <see cref="ObjectDisposedException"/>).</summary>
    public ReadOnlySpan<byte> Stored
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            nint address = _address;
            if (address == 0) ThrowReleased();
            return new ReadOnlySpan<byte>((void*)address, Length);
        }
    }

    protected override void Release()
    {
        nint address = Interlocked.Exchange(ref _address, 0);
        if (address != 0)
        {
            if (_pool is not null) _pool.Return(address, _size);
            else OffHeap.Free((void*)address, (nuint)_size);
        }
        // A recycled object stays registered for finalization (it holds nothing while free):
        // registering it again for each block would cost what allocating one does.
        if (_recycler is null || !_recycler.Give(this)) GC.SuppressFinalize(this);
    }

    ~CompressedBlock()
    {
        nint address = Interlocked.Exchange(ref _address, 0);
        if (address == 0) return;
        if (_pool is not null) _pool.FreeToHeap(address, _size);
        else OffHeap.Free((void*)address, (nuint)_size);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowReleased() => throw new ObjectDisposedException(nameof(CompressedBlock), "The block's memory has been released.");
}
