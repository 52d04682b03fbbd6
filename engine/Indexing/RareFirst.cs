namespace LatticeKV.Indexing;

/// <summary>
/// <see cref="TextSearch"/> for whole terms over an index with per-term counts: scans only the
/// rarest term's postings, looks each candidate up in the other terms' postings, and validates
/// against document records only the candidates it is about to return (see TextSearch's remarks).
/// </summary>
internal static class RareFirst
{
    public static IReadOnlyList<SearchResult> Run(LatticeDb db, LiveIndex index, List<byte[]> terms, int limit, ReadOptions read)
    {
        var df = new long[terms.Count];
        int rarest = 0;
        for (int i = 0; i < terms.Count; i++)
        {
            df[i] = TermCountChanges.Read(db.Get(index.Entries, IndexKeyEncoding.TermCountKey(terms[i]), read));
            if (df[i] == 0) return [];
            if (df[i] < df[rarest]) rarest = i;
        }
        var scoring = Bm25.From(TextStatistics.Decode(db.Get(index.Entries, IndexKeyEncoding.StatisticsKey, read)));
        var candidates = Candidates(db, index, terms, df, rarest, scoring, read);
        // Best first from a heap: only the candidates taken are ordered (keys are unique, so the order is total).
        var queue = new PriorityQueue<int, int>(candidates.Count, Comparer<int>.Create((x, y) =>
            candidates[x].Score != candidates[y].Score ? candidates[y].Score.CompareTo(candidates[x].Score) : ByteKeys.Instance.Compare(candidates[x].Key, candidates[y].Key)));
        for (int i = 0; i < candidates.Count; i++) queue.Enqueue(i, i);
        var results = new List<SearchResult>(Math.Min(limit, candidates.Count));
        while (results.Count < limit && queue.TryDequeue(out int next, out _))
        {
            var (key, score, frequencies, length) = candidates[next];
            if (!Current(db, index, terms, key, frequencies, length, read)) continue; // a stale posting
            if (db.Get(index.Primary, key, read) is { } value) results.Add(new SearchResult(key, score, value));
        }
        return results;
    }

    /// <summary>Documents with a posting for every term, scored from the postings' figures.</summary>
    private static List<(byte[] Key, double Score, int[] Frequencies, long Length)> Candidates(
        LatticeDb db, LiveIndex index, List<byte[]> terms, long[] df, int rarest, Bm25 scoring, ReadOptions read)
    {
        var candidates = new List<(byte[], double, int[], long)>();
        byte[] lower = IndexKeyEncoding.ExactPrefix(terms[rarest]);
        var frequencies = new int[terms.Count];
        var others = new byte[terms.Count][];
        for (int i = 0; i < terms.Count; i++) others[i] = IndexKeyEncoding.ExactPrefix(terms[i]);
        byte[] probe = [];
        // The rarest term's postings come in key order, so a term not much commoner is merged with them, not probed.
        var cursors = new PostingCursor?[terms.Count];
        try
        {
            for (int i = 0; i < terms.Count; i++)
                if (i != rarest && PostingCursor.Worthwhile(df[i], df[rarest])) cursors[i] = new PostingCursor(db, index, others[i], read);
            using var it = db.NewIterator(index.Entries, PostingReads.Within(read, lower));
            for (it.SeekToFirst(); it.Valid; it.Next())
            {
                var primaryKey = it.Key[lower.Length..];
                if (!TextDocument.TryDecodePosting(it.Value, out frequencies[rarest], out long length)) continue;
                bool all = true;
                for (int i = 0; i < terms.Count && all; i++)
                {
                    if (i == rarest) continue;
                    long otherLength;
                    bool found = cursors[i] is { } cursor
                        ? cursor.TryFind(primaryKey, out frequencies[i], out otherLength)
                        : PostingReads.TryProbe(db, index, others[i], primaryKey, ref probe, read, out frequencies[i], out otherLength);
                    all = found && otherLength == length;
                }
                if (!all) continue;
                double score = 0;
                for (int i = 0; i < terms.Count; i++) score += scoring.Term(df[i], frequencies[i], length);
                candidates.Add((primaryKey.ToArray(), score, (int[])frequencies.Clone(), length));
            }
        }
        finally
        {
            foreach (var cursor in cursors) cursor?.Dispose();
        }
        return candidates;
    }

    /// <summary>The document record holds every term with the figures the postings gave.</summary>
    internal static bool Current(LatticeDb db, LiveIndex index, IReadOnlyList<byte[]> terms, byte[] key, ReadOnlySpan<int> frequencies, long length, ReadOptions read)
    {
        if (db.Get(index.Entries, IndexKeyEncoding.DocumentKey(key), read) is not { } document) return false;
        for (int i = 0; i < terms.Count; i++)
            if (TextDocument.FrequencyIn(document, terms[i], out long stored) != frequencies[i] || stored != length) return false;
        return true;
    }
}
