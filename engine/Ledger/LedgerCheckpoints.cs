using LatticeKV.Ledger.Merkle;

namespace LatticeKV.Ledger;

/// <summary>
/// The ledger's signed checkpoints (FORMAT.md §22.3): its signer (the key given in
/// <see cref="LedgerOptions.SigningKey"/>, or the one kept in <c>ledger.merkle</c>), the store of
/// every checkpoint it issued, and the book of its peers' checkpoints that sync judges
/// (<see cref="LedgerSyncAttestor"/>). Thread-safe.
/// </summary>
internal sealed class LedgerCheckpoints : IDisposable
{
    private readonly LatticeDb _db;
    private readonly MerkleLog _log;
    private readonly CheckpointSigner _signer;
    private readonly CheckpointStore _store;
    // Serialises Issue, so that two callers asking at the same size share one stored checkpoint.
    private readonly Lock _issue = new();

    internal LedgerCheckpoints(LedgerFamilies families, MerkleLog log, LedgerOptions options)
    {
        _db = families.Db;
        _log = log;
        string origin = options.Origin ?? DefaultOrigin(families.Db);
        _signer = options.SigningKey is { } key
            ? new CheckpointSigner(key, origin, origin)
            : CheckpointSigner.LoadOrCreate(families.Db, families.Merkle, origin, origin);
        _store = new CheckpointStore(families.Db, families.Merkle);
        Peers = new PeerCheckpoints(families.Db, families.Merkle);
    }

    /// <summary>The ledger's public key, DER SubjectPublicKeyInfo: what a verifier of its checkpoints needs.</summary>
    internal byte[] PublicKey => _signer.PublicKey;

    /// <summary>The checkpoints accepted from peers.</summary>
    internal PeerCheckpoints Peers { get; }

    /// <summary>The default origin line: stable for the database (its replica id), distinct between replicas.</summary>
    internal static string DefaultOrigin(LatticeDb db) => "latticekv.ledger/" + db.ReplicaId.ToString("D");

    /// <summary>
    /// A checkpoint of the log as it stands, signed and stored; when the latest stored one already
    /// covers the current size it is returned instead of a new one, so repeated calls (a sync agent
    /// reconnecting) do not grow the store.
    /// </summary>
    internal LedgerCheckpoint Issue()
    {
        lock (_issue)
        {
            long size = _log.Size;
            if (_store.Latest() is { } latest && latest.TreeSize == size && latest.Verify(_signer.PublicKey)) return latest;
            var checkpoint = _signer.Sign(size, _log.RootHash(size), _db.Options.Clock.GetUtcNow());
            _store.Store(checkpoint, new WriteOptions { Sync = true });
            return checkpoint;
        }
    }

    /// <summary>The latest stored checkpoint, or null before the first.</summary>
    internal LedgerCheckpoint? Latest() => _store.Latest();

    /// <summary>Every stored checkpoint checked against the log and the ledger's key: one line per problem.</summary>
    internal IReadOnlyList<string> Verify() => _store.Verify(_log, _signer.PublicKey, _signer.Origin);

    public void Dispose() => _signer.Dispose();
}
