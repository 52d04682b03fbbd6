namespace LatticeKV.Indexing;

/// <summary>
/// <see cref="TextSearch"/> for a query with <c>term*</c> prefixes over an index with per-term
/// counts, reading document records only for the results it returns (and for postings of a term
/// that outnumber its count). A prefix is expanded to its terms through the count records: none
/// ends the search, one is searched as that whole term, several have their postings merged by
/// document (<see cref="PrefixPostings"/>), which gives the prefix's exact document frequency.
/// Whole terms take theirs from the count records. The term of least document frequency drives:
/// each of its documents is looked up in the other terms' merged postings, or their postings
/// probed, and scored from the frequencies and lengths found. Candidates are taken best first;
/// one with probed postings is checked against its document record (a stale one is dropped), as
/// in <see cref="RareFirst"/>, so hits, order and scores equal <see cref="TextSearch.ByDocuments"/>'s.
/// </summary>
internal static class PrefixSearch
{
    public static IReadOnlyList<SearchResult> Run(LatticeDb db, LiveIndex index, List<(byte[] Term, bool Prefix)> query, int limit, ReadOptions read)
    {
        var stale = new List<(byte[] IndexKey, byte[] PrimaryKey)>();
        var results = Search(db, index, query, limit, read, stale);
        StaleEntryCleanup.Run(db, index, stale);
        return results;
    }

    private static IReadOnlyList<SearchResult> Search(LatticeDb db, LiveIndex index, List<(byte[] Term, bool Prefix)> query, int limit, ReadOptions read, List<(byte[] IndexKey, byte[] PrimaryKey)> stale)
    {
        // Whole terms first, then prefixes, each in query order: the general path sums a score in
        // this order, and the same order keeps the floating-point sums identical.
        var terms = query.OrderBy(t => t.Prefix).ToList();
        int n = terms.Count;
        var df = new long[n];
        var probed = new byte[]?[n];
        var merged = new PostingTable?[n];
        for (int i = 0; i < n; i++)
        {
            var (term, prefix) = terms[i];
            if (!prefix)
            {
                probed[i] = term;
                df[i] = TermCountChanges.Read(db.Get(index.Entries, IndexKeyEncoding.TermCountKey(term), read));
            }
            else
            {
                var expansion = PrefixPostings.Expand(db, index, term, read);
                if (expansion.Count == 1) (probed[i], df[i]) = expansion[0];
                else if (expansion.Count > 1)
                {
                    merged[i] = PrefixPostings.Collect(db, index, term, expansion, read, stale);
                    df[i] = merged[i]!.Count;
                }
            }
            if (df[i] == 0) return [];
        }
        int driver = 0;
        for (int i = 1; i < n; i++)
            if (df[i] < df[driver]) driver = i;
        var scoring = Bm25.From(TextStatistics.Decode(db.Get(index.Entries, IndexKeyEncoding.StatisticsKey, read)));
        using var candidates = new Candidates(db, index, df, probed, merged, scoring, read);
        if (merged[driver] is { } documents)
        {
            for (int d = 0; d < documents.Count; d++) candidates.Consider(documents.KeyAt(d), driver, documents.FrequencyAt(d), documents.LengthAt(d));
        }
        else
        {
            // The driver's postings come in key order: whole terms not much commoner are merged with them, not probed.
            candidates.WalkProbedTerms(driver);
            byte[] lower = IndexKeyEncoding.ExactPrefix(probed[driver]!);
            using var it = db.NewIterator(index.Entries, PostingReads.Within(read, lower));
            for (it.SeekToFirst(); it.Valid; it.Next())
                if (TextDocument.TryDecodePosting(it.Value, out int tf, out long length)) candidates.Consider(it.Key[lower.Length..], driver, tf, length);
        }
        return candidates.Best(limit);
    }

    /// <summary>The documents found in every term's postings, scored, then taken best first.</summary>
    private sealed class Candidates(LatticeDb db, LiveIndex index, long[] df, byte[]?[] probed, PostingTable?[] merged, Bm25 scoring, ReadOptions read) : IDisposable
    {
        private readonly PostingCursor?[] _cursors = new PostingCursor?[df.Length];
        private readonly List<(byte[] Key, double Score, int[] Probed, long Length)> _found = [];
        private readonly int[] _frequencies = new int[df.Length];
        private readonly byte[][] _exactPrefixes = [.. probed.Select(t => t is null ? [] : IndexKeyEncoding.ExactPrefix(t))];
        private readonly List<byte[]> _probedTerms = [.. probed.OfType<byte[]>()];
        private byte[] _probe = [];

        /// <summary>Scores <paramref name="key"/> if every other term has a posting for it written with the same length.</summary>
        public void Consider(ReadOnlySpan<byte> key, int driver, int frequency, long length)
        {
            _frequencies[driver] = frequency;
            for (int i = 0; i < df.Length; i++)
            {
                if (i == driver) continue;
                if (merged[i] is { } documents)
                {
                    if (!documents.TryGet(key, out _frequencies[i], out long found) || found != length) return;
                }
                else
                {
                    long other;
                    bool found = _cursors[i] is { } cursor
                        ? cursor.TryFind(key, out _frequencies[i], out other)
                        : PostingReads.TryProbe(db, index, _exactPrefixes[i], key, ref _probe, read, out _frequencies[i], out other);
                    if (!found || other != length) return;
                }
            }
            double score = 0;
            for (int i = 0; i < df.Length; i++) score += scoring.Term(df[i], _frequencies[i], length);
            var probedFrequencies = new int[_probedTerms.Count];
            for (int i = 0, p = 0; i < df.Length; i++)
                if (probed[i] is not null) probedFrequencies[p++] = _frequencies[i];
            _found.Add((key.ToArray(), score, probedFrequencies, length));
        }

        /// <summary>
        /// Walks (<see cref="PostingCursor"/>) instead of probing the whole terms whose postings
        /// are few beside the driver's; the driver must then be considered in ascending key order.
        /// </summary>
        public void WalkProbedTerms(int driver)
        {
            for (int i = 0; i < df.Length; i++)
                if (i != driver && probed[i] is not null && PostingCursor.Worthwhile(df[i], df[driver])) _cursors[i] = new PostingCursor(db, index, _exactPrefixes[i], read);
        }

        public void Dispose()
        {
            foreach (var cursor in _cursors) cursor?.Dispose();
        }

        /// <summary>Up to <paramref name="limit"/> results, best score first, ties by key; a candidate whose document record lacks a probed term's figures is stale and skipped.</summary>
        public List<SearchResult> Best(int limit)
        {
            var queue = new PriorityQueue<int, int>(_found.Count, Comparer<int>.Create(Order));
            for (int i = 0; i < _found.Count; i++) queue.Enqueue(i, i);
            var results = new List<SearchResult>(Math.Min(limit, _found.Count));
            while (results.Count < limit && queue.TryDequeue(out int next, out _))
            {
                var (key, score, frequencies, length) = _found[next];
                if (_probedTerms.Count > 0 && !RareFirst.Current(db, index, _probedTerms, key, frequencies, length, read)) continue;
                if (db.Get(index.Primary, key, read) is { } value) results.Add(new SearchResult(key, score, value));
            }
            return results;
        }

        private int Order(int x, int y)
        {
            var (a, b) = (_found[x], _found[y]);
            return a.Score != b.Score ? b.Score.CompareTo(a.Score) : ByteKeys.Instance.Compare(a.Key, b.Key);
        }
    }
}
