namespace LatticeKV;

/// <summary>One document found by <see cref="LatticeDb.Search"/>: its primary key, BM25 score and value.</summary>
public sealed record SearchResult(byte[] PrimaryKey, double Score, byte[] Value);
