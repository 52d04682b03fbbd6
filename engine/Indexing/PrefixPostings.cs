namespace LatticeKV.Indexing;

/// <summary>
/// The valid postings of every term starting with one prefix, merged by document (frequencies
/// summed, with the document's length), read from the postings alone wherever that is exact.
/// A term's postings are taken as they are when they number exactly its count record: the count
/// is the number of document records holding the term, and each such record has a posting
/// written with it, so none of them is stale. A term whose postings outnumber its count (stale
/// postings left by overwrites under lazy maintenance, or by racing writers) has each posting
/// checked against its document record, as <see cref="TextSearch.ByDocuments"/> does; the stale
/// ones found are handed back, for <see cref="StaleEntryCleanup"/>, so that the next search
/// takes the fast path again.
/// </summary>
internal static class PrefixPostings
{
    private const int MaxStaleRemembered = 1024;

    /// <summary>The terms starting with <paramref name="prefix"/> that some document holds, in order, with their document counts.</summary>
    public static List<(byte[] Term, long Count)> Expand(LatticeDb db, LiveIndex index, byte[] prefix, ReadOptions read)
    {
        byte[] lower = IndexKeyEncoding.TermCountKey(prefix);
        int tag = lower.Length - prefix.Length;
        var terms = new List<(byte[], long)>();
        using var it = db.NewIterator(index.Entries, PostingReads.Within(read, lower));
        for (it.SeekToFirst(); it.Valid; it.Next()) terms.Add((it.Key[tag..].ToArray(), TermCountChanges.Read(it.Value)));
        return terms;
    }

    /// <summary>Documents holding a term of <paramref name="terms"/> (<see cref="Expand"/>'s answer for <paramref name="prefix"/>), each with its summed frequency and its length.</summary>
    public static PostingTable Collect(
        LatticeDb db, LiveIndex index, byte[] prefix, List<(byte[] Term, long Count)> terms, ReadOptions read, List<(byte[] IndexKey, byte[] PrimaryKey)> stale)
    {
        var merged = new PostingTable();
        var group = new TermGroup();
        int next = 0;
        byte[] split = new byte[64];
        using var it = db.NewIterator(index.Entries, PostingReads.Within(read, IndexKeyEncoding.Escaped(prefix)));
        for (it.SeekToFirst(); it.Valid; it.Next())
        {
            var entry = it.Key;
            if (split.Length < entry.Length) split = new byte[Math.Max(entry.Length, split.Length * 2)];
            if (!IndexKeyEncoding.TrySplit(entry, split, out int termLength, out var primaryKey)) continue;
            var term = split.AsSpan(0, termLength);
            if (!group.Is(term))
            {
                group.MergeInto(merged, CountOf(terms, ref next, group.Term), db, index, read, stale);
                group.Start(term);
            }
            group.Add(primaryKey, it.Value);
        }
        group.MergeInto(merged, CountOf(terms, ref next, group.Term), db, index, read, stale);
        return merged;
    }

    /// <summary>The count of <paramref name="term"/>, moving <paramref name="next"/> through the ordered <paramref name="terms"/> (0: no document holds it).</summary>
    private static long CountOf(List<(byte[] Term, long Count)> terms, ref int next, ReadOnlySpan<byte> term)
    {
        while (next < terms.Count && terms[next].Term.AsSpan().SequenceCompareTo(term) < 0) next++;
        return next < terms.Count && terms[next].Term.AsSpan().SequenceEqual(term) ? terms[next].Count : 0;
    }

    /// <summary>The postings of one term, gathered until the scan leaves the term, then merged or checked.</summary>
    private sealed class TermGroup
    {
        private byte[] _term = new byte[64];
        private int _termLength = -1;
        private byte[] _keys = new byte[1024];
        private int _keysLength;
        private readonly List<(int Offset, int Length, int Frequency, long DocumentLength)> _postings = [];
        private bool _undecoded;

        public ReadOnlySpan<byte> Term => _term.AsSpan(0, Math.Max(_termLength, 0));

        public bool Is(ReadOnlySpan<byte> term) => _termLength >= 0 && term.SequenceEqual(Term);

        public void Start(ReadOnlySpan<byte> term)
        {
            if (_term.Length < term.Length) _term = new byte[Math.Max(term.Length, _term.Length * 2)];
            term.CopyTo(_term);
            _termLength = term.Length;
            _keysLength = 0;
            _postings.Clear();
            _undecoded = false;
        }

        public void Add(ReadOnlySpan<byte> primaryKey, ReadOnlySpan<byte> posting)
        {
            if (_keys.Length < _keysLength + primaryKey.Length) Array.Resize(ref _keys, Math.Max(_keysLength + primaryKey.Length, _keys.Length * 2));
            primaryKey.CopyTo(_keys.AsSpan(_keysLength));
            if (!TextDocument.TryDecodePosting(posting, out int frequency, out long length)) _undecoded = true;
            _postings.Add((_keysLength, primaryKey.Length, frequency, length));
            _keysLength += primaryKey.Length;
        }

        /// <summary>Adds the group's valid postings to <paramref name="merged"/>, given the number of documents holding its term.</summary>
        public void MergeInto(PostingTable merged, long count, LatticeDb db, LiveIndex index, ReadOptions read, List<(byte[] IndexKey, byte[] PrimaryKey)> stale)
        {
            if (_termLength < 0) return; // no group yet
            bool exact = _postings.Count == count && !_undecoded;
            foreach (var (offset, length, frequency, documentLength) in _postings)
            {
                var key = _keys.AsSpan(offset, length);
                int tf = frequency;
                long words = documentLength;
                if (!exact)
                {
                    // No document holding the term (count 0) makes every posting of it stale.
                    tf = count > 0 && db.Get(index.Entries, IndexKeyEncoding.DocumentKey(key), read) is { } document ? TextDocument.FrequencyIn(document, Term, out words) : 0;
                    if (tf == 0)
                    {
                        if (stale.Count < MaxStaleRemembered) stale.Add((Term.ToArray(), key.ToArray()));
                        continue;
                    }
                }
                merged.Add(key, tf, words);
            }
        }
    }
}
