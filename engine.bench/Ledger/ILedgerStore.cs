namespace LatticeKV.Bench.Ledger;

/// <summary>What the ledger workloads ask of an engine: the same operations, the same values read.</summary>
public interface ILedgerStore : IDisposable
{
    string Name { get; }

    string Settings { get; }

    /// <summary>Keyed by (account, order) with a unique index on the id, instead of by id with an (account, order) index.</summary>
    bool Clustered { get; }

    /// <summary>Stores the transactions with their index entries, one commit for all of them.</summary>
    void Insert(IReadOnlyList<LedgerTx> txs);

    /// <summary>The newest <paramref name="limit"/> transactions of an account through the index, values read; returns how many.</summary>
    int Newest(string account, int limit);

    /// <summary>Stores the documents and builds the full-text index over them.</summary>
    void LoadDocuments(List<(string Id, string Text)> docs);

    /// <summary>Every term must match; the best <paramref name="limit"/> documents, values read; returns how many.</summary>
    int Search(string query, int limit);

    /// <summary>Lets background work finish (flushes, compactions, checkpoints) before sizes are read.</summary>
    void Settle();

    long SizeOnDisk();
}
