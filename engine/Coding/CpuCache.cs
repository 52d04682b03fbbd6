using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace LatticeKV.Coding;

/// <summary>
/// Hints the CPU to start loading memory that is about to be read. A hint cannot fault: when an
/// object moves under the collector after its address is taken, the load is merely wasted.
/// </summary>
internal static class CpuCache
{
    /// <summary>Loads the cache lines holding the first <paramref name="bytes"/> bytes of <paramref name="obj"/>'s fields.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Prefetch(object obj, int bytes)
    {
        if (!Sse.IsSupported) return;
        byte* p = (byte*)Unsafe.AsPointer(ref Unsafe.As<RawObject>(obj).FirstField);
        for (nint line = (nint)p & ~63; line < (nint)(p + bytes); line += 64) Sse.Prefetch0((void*)line);
    }

    /// <summary>
    /// Loads the cache lines holding bytes [<paramref name="from"/>, <paramref name="to"/>) of
    /// <paramref name="array"/> and the line holding its length. The address is computed from the
    /// reference alone: even a null check would read the array's header, the very cache miss
    /// this is meant to overlap with other work.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Prefetch(byte[] array, int from, int to)
    {
        if (!Sse.IsSupported) return;
        byte* header = (byte*)Unsafe.As<byte[], nint>(ref array);
        if (header == null) return;
        byte* data = header + 2 * sizeof(nint); // method table pointer, then the length (padded)
        Sse.Prefetch0(header + sizeof(nint));
        for (nint line = (nint)(data + from) & ~63; line < (nint)(data + to); line += 64) Sse.Prefetch0((void*)line);
    }

    /// <summary>Loads the cache line holding <paramref name="location"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Prefetch<T>(ref T location)
    {
        if (Sse.IsSupported) Sse.Prefetch0(Unsafe.AsPointer(ref location));
    }

    // Any object's fields start where this one's first field does (after the method table pointer).
    private sealed class RawObject
    {
#pragma warning disable CS0649 // never written: only its address is taken
        public byte FirstField;
#pragma warning restore CS0649
    }
}
