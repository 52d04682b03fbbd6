namespace LatticeKV.Indexing;

/// <summary>
/// Full-text search over a text index: every query term must match (<c>term*</c> matches the
/// terms starting with <c>term</c>), and results are ranked by Okapi BM25 (k1 = 1.2, b = 0.75),
/// then by primary key. Term frequencies and document lengths come from the document records,
/// document frequencies from the valid postings, the document count and total length from the
/// statistics record: all exact, as of one snapshot.
/// </summary>
/// <remarks>
/// An index keeping per-term counts (<see cref="IndexRecord.HasTermCounts"/>) answers a query
/// without reading a document record per posting. Whole terms (<see cref="RareFirst"/>): document
/// frequencies come from the count records, the rarest term's postings are scanned and each
/// candidate is looked up in the other terms' postings, scored from the frequencies and lengths the
/// postings carry, and only then, best first, checked against its document record. A posting is
/// stale exactly when the record lacks its term, and a posting that is not stale was written with
/// the record (so its figures are exact): a stale candidate is dropped and every kept score is
/// exact. With <c>term*</c> prefixes (<see cref="PrefixSearch"/>) a prefix's document frequency is
/// not a sum of counts, so its postings are scanned whole, but checked against document records
/// only where a term's postings outnumber its count. Older indexes take the general path
/// (<see cref="ByDocuments"/>), which validates every posting against its document record.
/// </remarks>
internal static class TextSearch
{
    public static IReadOnlyList<SearchResult> Run(LatticeDb db, LiveIndex index, string query, int limit, ReadOptions? options)
    {
        var terms = Parse(query);
        if (terms.Count == 0) return [];
        Snapshot? own = options?.Snapshot is null ? db.GetSnapshot() : null;
        try
        {
            var read = new ReadOptions { Snapshot = options?.Snapshot ?? own, FillCache = options?.FillCache ?? true };
            if (!index.Record.HasTermCounts) return ByDocuments(db, index, terms, limit, read);
            return terms.All(t => !t.Prefix)
                ? RareFirst.Run(db, index, terms.ConvertAll(t => t.Term), limit, read)
                : PrefixSearch.Run(db, index, terms, limit, read);
        }
        finally
        {
            own?.Dispose();
        }
    }

    /// <summary>
    /// The general path: every posting of every term is checked against its document record,
    /// and frequencies and lengths are taken from the records. Older indexes are searched so; it
    /// is also the reference the faster paths must agree with exactly.
    /// </summary>
    internal static IReadOnlyList<SearchResult> ByDocuments(LatticeDb db, LiveIndex index, List<(byte[] Term, bool Prefix)> terms, int limit, ReadOptions read)
    {
        var documents = new Dictionary<byte[], TextDocument?>(ByteKeys.Instance);
        var matches = new List<(Dictionary<byte[], int> Frequencies, int DocumentFrequency)>();
        foreach (var (term, prefix) in terms.OrderBy(t => t.Prefix))
        {
            var frequencies = Postings(db, index, term, prefix, read, documents);
            if (frequencies.Count == 0) return [];
            matches.Add((frequencies, frequencies.Count));
        }
        var stats = TextStatistics.Decode(db.Get(index.Entries, IndexKeyEncoding.StatisticsKey, read));
        var scoring = Bm25.From(stats);
        var scored = new List<(byte[] Key, double Score)>();
        foreach (var key in matches.MinBy(m => m.Frequencies.Count).Frequencies.Keys)
        {
            double score = 0;
            bool all = true;
            long length = documents[key]!.Length;
            foreach (var (frequencies, df) in matches)
            {
                if (!frequencies.TryGetValue(key, out int tf))
                {
                    all = false;
                    break;
                }
                score += scoring.Term(df, tf, length);
            }
            if (all) scored.Add((key, score));
        }
        var results = new List<SearchResult>();
        foreach (var (key, score) in scored.OrderByDescending(s => s.Score).ThenBy(s => s.Key, ByteKeys.Instance))
        {
            if (results.Count >= limit) break;
            if (db.Get(index.Primary, key, read) is { } value) results.Add(new SearchResult(key, score, value));
        }
        return results;
    }

    /// <summary>The query's terms, tokenized as documents are; a trailing '*' makes the last word of a token a prefix.</summary>
    internal static List<(byte[] Term, bool Prefix)> Parse(string query)
    {
        var terms = new List<(byte[], bool)>();
        foreach (var token in query.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            bool prefix = token.EndsWith('*');
            var words = new WordList();
            TextTokenizer.Tokenize(token.TrimEnd('*'), words);
            var list = words.Words;
            for (int i = 0; i < list.Count; i++)
            {
                var term = (list[i], prefix && i == list.Count - 1);
                if (!terms.Any(t => t.Item2 == term.Item2 && t.Item1.AsSpan().SequenceEqual(term.Item1))) terms.Add(term);
            }
        }
        return terms;
    }

    /// <summary>Valid documents containing the term (or a term with the prefix) and the frequency there.</summary>
    private static Dictionary<byte[], int> Postings(LatticeDb db, LiveIndex index, byte[] term, bool prefix, ReadOptions read, Dictionary<byte[], TextDocument?> documents)
    {
        byte[] lower = prefix ? IndexKeyEncoding.Escaped(term) : IndexKeyEncoding.ExactPrefix(term);
        var frequencies = new Dictionary<byte[], int>(ByteKeys.Instance);
        using var it = db.NewIterator(index.Entries, PostingReads.Within(read, lower));
        for (it.SeekToFirst(); it.Valid; it.Next())
        {
            if (!IndexKeyEncoding.TrySplit(it.Key, out var found, out var primaryKey)) continue;
            var key = primaryKey.ToArray();
            if (!documents.TryGetValue(key, out var document))
            {
                var stored = db.Get(index.Entries, IndexKeyEncoding.DocumentKey(key), read);
                documents[key] = document = stored is null ? null : TextDocument.Decode(stored);
            }
            int tf = document?.FrequencyOf(found) ?? 0;
            if (tf == 0) continue; // a stale posting
            frequencies[key] = frequencies.GetValueOrDefault(key) + tf;
        }
        return frequencies;
    }
}
