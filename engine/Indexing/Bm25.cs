namespace LatticeKV.Indexing;

/// <summary>Okapi BM25 (k1 = 1.2, b = 0.75) over one snapshot's corpus statistics.</summary>
internal readonly record struct Bm25(double Documents, double AverageLength)
{
    private const double K1 = 1.2;
    private const double B = 0.75;

    public static Bm25 From(TextStatistics stats)
        => new(Math.Max(stats.Documents, 1), stats.Documents > 0 ? (double)stats.TotalLength / stats.Documents : 1);

    /// <summary>One term's contribution to a document's score.</summary>
    public double Term(long df, int tf, long length)
    {
        double idf = Math.Log(1 + (Documents - df + 0.5) / (df + 0.5));
        return idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / AverageLength));
    }
}
