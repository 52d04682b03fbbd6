namespace LatticeKV.Indexing;

/// <summary>
/// One term's postings read in order of primary key, answering lookups for ascending primary
/// keys by walking forward: a merge of two sorted lists instead of a point read per lookup.
/// It answers exactly as <see cref="PostingReads.TryProbe"/> would at the same snapshot (the
/// same entries, seen through an iterator). Searches use it when the term's postings are few
/// compared with the documents looked up in them (<see cref="Worthwhile"/>); point reads win
/// when most of the walk would be postings nobody asks about. Dispose it.
/// </summary>
internal sealed class PostingCursor : IDisposable
{
    // A walk costs about one iterator step per posting, a probe a point read per lookup (which a
    // bloom filter makes cheap when the posting is absent): walk when the postings outnumber the
    // lookups by at most this factor.
    private const long MaxPostingsPerLookup = 4;

    private readonly LatticeIterator _postings;
    private readonly int _prefixLength;
    private byte[] _previous = [];
    private int _previousLength = -1;

    public PostingCursor(LatticeDb db, LiveIndex index, byte[] exactPrefix, ReadOptions read)
    {
        _prefixLength = exactPrefix.Length;
        _postings = db.NewIterator(index.Entries, PostingReads.Within(read, exactPrefix));
        _postings.SeekToFirst();
    }

    /// <summary>Whether walking a term with <paramref name="postings"/> documents beats probing it for <paramref name="lookups"/> documents.</summary>
    public static bool Worthwhile(long postings, long lookups) => postings <= lookups * MaxPostingsPerLookup;

    /// <summary>
    /// The posting for <paramref name="primaryKey"/>: its frequency and the length it was written
    /// with. Keys must be asked in ascending bytewise order (each at least the previous one).
    /// </summary>
    public bool TryFind(ReadOnlySpan<byte> primaryKey, out int frequency, out long length)
    {
        if (_previousLength >= 0 && primaryKey.SequenceCompareTo(_previous.AsSpan(0, _previousLength)) < 0)
            throw new InvalidOperationException("Postings are looked up in ascending key order.");
        Remember(primaryKey);
        frequency = 0;
        length = 0;
        int order = 1;
        while (_postings.Valid && (order = _postings.Key[_prefixLength..].SequenceCompareTo(primaryKey)) < 0) _postings.Next();
        if (!_postings.Valid || order != 0) return false;
        // The same bound as a probe's buffer: two varints.
        var posting = _postings.Value;
        return posting.Length <= PostingReads.MaxPostingLength && TextDocument.TryDecodePosting(posting, out frequency, out length);
    }

    public void Dispose() => _postings.Dispose();

    private void Remember(ReadOnlySpan<byte> primaryKey)
    {
        if (_previous.Length < primaryKey.Length) _previous = new byte[Math.Max(primaryKey.Length, _previous.Length * 2)];
        primaryKey.CopyTo(_previous);
        _previousLength = primaryKey.Length;
    }
}
