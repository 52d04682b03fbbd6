namespace LatticeKV.Sst;

/// <summary>
/// Decode buffers (<see cref="Block.NewDecodeBuffer"/>) kept per thread for blocks that are
/// decoded for one reader and never cached: a point lookup that decodes a compressed block only up
/// to its entry hands the value out where it was decoded, and an iterator reads a block decoded
/// whole from the compressed tier or the file. A reader rents one, its last unpin gives it back.
/// A buffer a reader still holds is never rented again: a read nested inside a value reader, or
/// an iterator holding a block per level, gets another, so nothing handed out is decoded over.
/// </summary>
internal static class DecodeBuffers
{
    /// <summary>The smallest buffer made: a 4 KiB block and the decoder's slack fit twice over.</summary>
    public const int MinSize = 8192;

    /// <summary>The largest buffer kept for reuse (blocks of large values are rare and would hold memory per thread).</summary>
    public const int MaxKeptSize = 64 * 1024;

    // An iterator holds one block per level and loads the next before it lets go of the last.
    private const int Kept = 4;

    [ThreadStatic] private static Block?[]? t_free;
    [ThreadStatic] private static int t_count;
    [ThreadStatic] private static long t_rents;

    /// <summary>Buffers rented on the calling thread since it started: what a test counts to see a path decode nothing.</summary>
    internal static long RentsOnThisThread => t_rents;

    /// <summary>A buffer of at least <paramref name="size"/> bytes, pinned once for the caller.</summary>
    public static Block Rent(int size)
    {
        t_rents++;
        var free = t_free;
        if (free is not null)
        {
            for (int i = t_count - 1; i >= 0; i--)
            {
                var buffer = free[i]!;
                if (buffer.Data.Length < size) continue;
                free[i] = free[--t_count];
                free[t_count] = null;
                buffer.ReviveDecodeBuffer();
                return buffer;
            }
        }
        return Block.NewDecodeBuffer(Math.Max(size, MinSize));
    }

    /// <summary>Keeps a released buffer for the thread's next rents, while there is room.</summary>
    internal static void Return(Block buffer)
    {
        if (buffer.Data.Length > MaxKeptSize) return;
        var free = t_free ??= new Block?[Kept];
        if (t_count < Kept) free[t_count++] = buffer;
    }
}
