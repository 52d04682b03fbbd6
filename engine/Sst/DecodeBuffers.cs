namespace LatticeKV.Sst;

/// <summary>
/// One decode buffer per thread (<see cref="Block.NewDecodeBuffer"/>) for point lookups that
/// decode a compressed block only up to their entry and hand the value out where it was decoded:
/// a lookup rents it, the reader's last unpin gives it back. While a reader holds it (a nested
/// lookup from inside a value reader, or a value not yet unpinned), a rent on the same thread gets
/// a fresh one, so a value handed out is never decoded over.
/// </summary>
internal static class DecodeBuffers
{
    /// <summary>The smallest buffer made: a 4 KiB block and the decoder's slack fit twice over.</summary>
    public const int MinSize = 8192;

    [ThreadStatic] private static Block? t_free;

    /// <summary>A buffer of at least <paramref name="size"/> bytes, pinned once for the caller.</summary>
    public static Block Rent(int size)
    {
        var free = t_free;
        if (free is not null && free.Data.Length >= size)
        {
            t_free = null;
            free.ReviveDecodeBuffer();
            return free;
        }
        return Block.NewDecodeBuffer(Math.Max(size, MinSize));
    }

    /// <summary>Keeps a released buffer for the thread's next rent (the larger, when one is kept already).</summary>
    internal static void Return(Block buffer)
    {
        var free = t_free;
        if (free is null || free.Data.Length < buffer.Data.Length) t_free = buffer;
    }
}
