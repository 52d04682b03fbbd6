namespace LatticeKV.Indexing;

/// <summary>Reads of a text index's postings shared by the search paths: a range of them, and one looked up by term and document.</summary>
internal static class PostingReads
{
    /// <summary>The longest posting value a read accepts: two varints.</summary>
    public const int MaxPostingLength = 20;

    /// <summary><paramref name="read"/>'s snapshot bounded to the keys starting with <paramref name="lower"/>.</summary>
    public static ReadOptions Within(ReadOptions read, byte[] lower)
        => new() { Snapshot = read.Snapshot, FillCache = read.FillCache, IterateLowerBound = lower, IterateUpperBound = IndexKeyEncoding.PrefixEnd(lower) };

    /// <summary>
    /// The posting of the term whose entries start with <paramref name="exactPrefix"/> in the
    /// document <paramref name="primaryKey"/>: its frequency and the length it was written with.
    /// <paramref name="probe"/> is a buffer reused across calls.
    /// </summary>
    public static bool TryProbe(LatticeDb db, LiveIndex index, byte[] exactPrefix, ReadOnlySpan<byte> primaryKey, ref byte[] probe, ReadOptions read, out int frequency, out long length)
    {
        int size = exactPrefix.Length + primaryKey.Length;
        if (probe.Length < size) probe = new byte[Math.Max(size, probe.Length * 2)];
        exactPrefix.CopyTo(probe, 0);
        primaryKey.CopyTo(probe.AsSpan(exactPrefix.Length));
        Span<byte> posting = stackalloc byte[MaxPostingLength];
        frequency = 0;
        length = 0;
        return db.TryGet(index.Entries, probe.AsSpan(0, size), posting, out int found, read) && found <= posting.Length
            && TextDocument.TryDecodePosting(posting[..found], out frequency, out length);
    }
}
