using System.Runtime.CompilerServices;

namespace LatticeKV.Io;

/// <summary>
/// A fixed-length array of <typeparamref name="T"/> in <see cref="OffHeap"/> memory, zeroed when
/// created. Its owner frees it with <see cref="Dispose"/> once nothing can read it any more:
/// after that <see cref="Span"/> throws <see cref="ObjectDisposedException"/>, but a span taken
/// before must not be used, as its memory is gone. A buffer whose last reader the owner cannot
/// know is handed to the collector with <see cref="Abandon"/>; one never disposed is freed by
/// its finalizer. Dispose and the finalizer may race with each other, never with a reader.
/// </summary>
internal sealed unsafe class NativeBuffer<T> : IDisposable where T : unmanaged
{
    private nint _address; // 0 once freed (and for an empty buffer)
    private bool _abandoned;

    /// <summary>A zeroed buffer of <paramref name="length"/> elements.</summary>
    public NativeBuffer(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        if (length > 0) _address = (nint)OffHeap.AllocateZeroed(ByteLength);
    }

    /// <summary>A buffer holding a copy of <paramref name="source"/> (not zeroed first: the copy writes every element).</summary>
    public NativeBuffer(ReadOnlySpan<T> source)
    {
        Length = source.Length;
        if (Length == 0) return;
        _address = (nint)OffHeap.Allocate(ByteLength);
        source.CopyTo(new Span<T>((void*)_address, Length));
    }

    /// <summary>An empty buffer, never freed (for an owner with nothing allocated).</summary>
    public static NativeBuffer<T> Empty { get; } = new(0);

    public int Length { get; }

    /// <summary>Whether the memory has been freed (by <see cref="Dispose"/> or the finalizer).</summary>
    public bool IsFreed => Length > 0 && Volatile.Read(ref _address) == 0;

    /// <summary>The elements; valid until the buffer is freed.</summary>
    public Span<T> Span
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            nint address = _address;
            if (address == 0 && Length > 0) ThrowFreed();
            return new Span<T>((void*)address, Length);
        }
    }

    /// <summary>
    /// Hints the CPU to load the cache line of the element at <paramref name="index"/>. Unlike
    /// every other member it may race with <see cref="Dispose"/>: it reads no element, a freed
    /// buffer is skipped, and a prefetch of memory freed meanwhile is a hint the CPU drops
    /// without a fault.
    /// </summary>
    public void Prefetch(int index)
    {
        nint address = Volatile.Read(ref _address);
        if (address == 0 || (uint)index >= (uint)Length || !System.Runtime.Intrinsics.X86.Sse.IsSupported) return;
        System.Runtime.Intrinsics.X86.Sse.Prefetch0((byte*)address + (nint)index * sizeof(T));
    }

    /// <summary>
    /// A buffer of <paramref name="length"/> elements holding the first <paramref name="count"/>
    /// of this one, which is freed: for a list that grows.
    /// </summary>
    public NativeBuffer<T> Grow(int length, int count)
    {
        var grown = new NativeBuffer<T>(length);
        Span[..count].CopyTo(grown.Span);
        Dispose();
        return grown;
    }

    /// <summary>
    /// Leaves the buffer to the collector, for when readers the owner does not track may still
    /// hold it: its finalizer frees it once none does. The runtime is told of the memory so that
    /// it counts toward the next collection, as an abandoned managed array would.
    /// </summary>
    public void Abandon()
    {
        if (Length == 0 || _abandoned || IsFreed) return;
        _abandoned = true;
        GC.AddMemoryPressure((long)ByteLength);
    }

    /// <summary>Frees the memory. Only when no reader can use the buffer any more; a second call does nothing.</summary>
    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    ~NativeBuffer() => Free();

    private nuint ByteLength => (nuint)Length * (nuint)sizeof(T);

    private void Free()
    {
        nint address = Interlocked.Exchange(ref _address, 0);
        if (address == 0) return;
        OffHeap.Free((void*)address, ByteLength);
        if (_abandoned) GC.RemoveMemoryPressure((long)ByteLength);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowFreed() => throw new ObjectDisposedException(nameof(NativeBuffer<T>), "The buffer's memory has been freed.");
}
