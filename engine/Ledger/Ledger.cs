using LatticeKV.Ledger.Merkle;

namespace LatticeKV.Ledger;

/// <summary>
/// A ledger of blockchain transactions on a <see cref="LatticeDb"/>: transactions in their chain's
/// order, balances updated in the same atomic write as each transaction, reorganisations that
/// orphan blocks without deleting history, and an RFC 9162 Merkle log holding every stored version
/// of every transaction record. Thread-safe: any number of threads may append and read at once.
/// </summary>
/// <remarks>
/// The ledger keeps its own column families (<c>ledger.tx</c>, <c>ledger.folded</c>,
/// <c>ledger.index</c>, <c>ledger.balances</c>, <c>ledger.merkle</c>, <c>ledger.meta</c>;
/// FORMAT.md §22). Only <c>ledger.tx</c> is replicated; each replica derives its balances, indexes
/// and Merkle log from the records by one fold, guarded by a per-transaction marker of what it
/// already counted, so a transaction arriving from several devices counts once. Dispose the
/// ledger before the database.
/// </remarks>
/// <example>
/// <code>
/// using var db = LatticeDb.Open(path);
/// using var ledger = Ledger.Open(db);
/// ledger.Append(new LedgerTransaction
/// {
///     Chain = "bitcoin", TransactionId = "f4184fc5...",
///     Postings = [new("alice", "BTC", -1_000), new("bob", "BTC", 1_000)],
/// });
/// Int128 bob = ledger.GetBalance("bitcoin", "bob", "BTC"); // 1000
/// </code>
/// </example>
public sealed class Ledger : IDisposable
{
    // Constant after Open.
    private readonly LedgerFamilies _families;
    private readonly LedgerOptions _options;
    private readonly MerkleLog _merkle;
    private readonly LedgerWriter _writer;
    private readonly LedgerFollower? _follower;
    private readonly LedgerCheckpoints _checkpoints;
    private readonly LedgerSyncAttestor _attestor;
    private int _disposed;
    private readonly LedgerNetwork _network;

    private Ledger(LedgerFamilies families, LedgerOptions options)
    {
        _families = families;
        _options = options;
        _merkle = MerkleLog.Open(families.Db, families.Merkle);
        var state = new LedgerWriteState(families, _merkle, LedgerWriteState.LoadArrival(families));
        _writer = new LedgerWriter(families, state, options);
        if (families.Replicated) _follower = new LedgerFollower(families, _writer);
        _checkpoints = new LedgerCheckpoints(families, _merkle, options);
        _attestor = new LedgerSyncAttestor(_checkpoints, _merkle);
        _network = new LedgerNetwork(families, _writer, options);
        LatticeKV.Sync.SyncAttestors.Add(families.Db, _attestor);
    }

    /// <summary>
    /// Opens the ledger of <paramref name="db"/>, creating its column families when missing, and
    /// folds the transactions sync stored since it was last open. One ledger per database at a time.
    /// </summary>
    /// <exception cref="LedgerVersionException">A newer release wrote the ledger.</exception>
    /// <exception cref="LedgerArgumentException"><paramref name="options"/> are out of range.</exception>
    public static Ledger Open(LatticeDb db, LedgerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(db);
        options ??= new LedgerOptions();
        options.Validate();
        var ledger = new Ledger(LedgerFamilies.Open(db, options), options);
        if (ledger._follower is { } follower)
        {
            follower.CatchUp();
            follower.Start();
        }
        return ledger;
    }

    /// <summary>
    /// Stores <paramref name="transaction"/> with its balance updates, index entries and Merkle leaf
    /// in one atomic write; balances reflect it when this returns. Appending a stored transaction
    /// again with the same content changes nothing, or only its status and place (pending to
    /// confirmed, deeper, final, another block), which is stored as a new record and leaf. A
    /// confirmed transaction's depth is raised to what the chain's tip gives
    /// (<see cref="SetChainTip"/>), and it is stored as final from <see cref="LedgerOptions.FinalityDepth"/> on.
    /// </summary>
    /// <exception cref="LedgerArgumentException">A field is out of range or its postings overflow.</exception>
    /// <exception cref="LedgerConflictException">The id is stored with other raw bytes or postings.</exception>
    public void Append(LedgerTransaction transaction)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        _writer.Append([transaction]);
    }

    /// <summary>Appends every transaction of <paramref name="transactions"/> (as <see cref="Append"/>, in order) in one atomic write: all or none.</summary>
    /// <exception cref="LedgerArgumentException">A transaction is out of range; nothing is written.</exception>
    /// <exception cref="LedgerConflictException">An id is stored with other content; nothing is written.</exception>
    public void AppendBatch(IEnumerable<LedgerTransaction> transactions)
    {
        ArgumentNullException.ThrowIfNull(transactions);
        var list = transactions.ToList();
        if (list.Any(t => t is null)) throw new LedgerArgumentException("A transaction is null.", nameof(transactions));
        if (list.Count > 0) _writer.Append(list);
    }

    /// <summary>The balance of <paramref name="account"/> in <paramref name="asset"/> on <paramref name="chain"/>: the sum of its postings in every transaction not orphaned, pending ones included (0 when none).</summary>
    /// <exception cref="MergeException">The balance is outside the range of <see cref="Int128"/>.</exception>
    public Int128 GetBalance(string chain, string account, string asset)
    {
        LedgerText.Required(chain, LedgerText.MaxChain, nameof(chain));
        LedgerText.Required(account, LedgerText.MaxAccount, nameof(account));
        LedgerText.Required(asset, LedgerText.MaxAsset, nameof(asset));
        var value = _families.Db.Get(_families.Balances, LedgerKeys.Balance(chain, account, asset));
        return value is null ? Int128.Zero : LedgerAmounts.Decode(value);
    }

    /// <summary>The stored record of a transaction (with its current status), or null.</summary>
    public LedgerTransaction? GetTransaction(string chain, string transactionId)
    {
        LedgerText.Required(chain, LedgerText.MaxChain, nameof(chain));
        LedgerText.Required(transactionId, LedgerText.MaxTransactionId, nameof(transactionId));
        var bytes = _families.Db.Get(_families.Transactions, LedgerKeys.Transaction(chain, transactionId));
        return bytes is null ? null : LedgerRecordCodec.Decode(bytes);
    }

    /// <summary>A page of <paramref name="chain"/>'s transactions in chain order (see <see cref="LedgerQuery"/>).</summary>
    public LedgerPage GetTransactions(string chain, LedgerQuery? query = null)
    {
        LedgerText.Required(chain, LedgerText.MaxChain, nameof(chain));
        return LedgerPager.Read(_families, LedgerKeys.ChainPrefix(chain), chain, query);
    }

    /// <summary>A page of the transactions with a posting of <paramref name="account"/> on <paramref name="chain"/>, in chain order (see <see cref="LedgerQuery"/>).</summary>
    public LedgerPage GetAccountHistory(string chain, string account, LedgerQuery? query = null)
    {
        LedgerText.Required(chain, LedgerText.MaxChain, nameof(chain));
        LedgerText.Required(account, LedgerText.MaxAccount, nameof(account));
        return LedgerPager.Read(_families, LedgerKeys.AccountPrefix(chain, account), chain, query);
    }

    /// <summary>The height of <paramref name="chain"/>'s tip as last set, or null.</summary>
    public long? GetChainTip(string chain)
    {
        LedgerText.Required(chain, LedgerText.MaxChain, nameof(chain));
        return LedgerWriteState.ReadTip(_families, chain);
    }

    /// <summary>
    /// Moves <paramref name="chain"/>'s tip to <paramref name="height"/>: every confirmed transaction's
    /// depth becomes tip − height + 1, and those reaching <see cref="LedgerOptions.FinalityDepth"/>
    /// become final, in one atomic write (each changed record is a new Merkle leaf).
    /// </summary>
    /// <exception cref="LedgerArgumentException">The height is negative or below the current tip (use <see cref="Reorganize"/>).</exception>
    public void SetChainTip(string chain, long height)
    {
        LedgerText.Required(chain, LedgerText.MaxChain, nameof(chain));
        if (height < 0) throw new LedgerArgumentException("The tip height must not be negative.", nameof(height));
        _writer.Write(fold =>
        {
            LedgerChainMoves.AdvanceTip(fold, chain, height, _options.FinalityDepth);
            return 0;
        });
    }

    /// <summary>
    /// Replaces <paramref name="chain"/>'s blocks from <paramref name="forkHeight"/> on with
    /// <paramref name="newBlocks"/> in one atomic write: every transaction in a block at that height
    /// or above becomes <see cref="LedgerStatusKind.Orphaned"/> (kept, with its old place, and its
    /// balance effects reversed), then each new block's transactions are stored as confirmed in it
    /// (a transaction orphaned here and present in a new block simply moves). The last new block
    /// becomes the tip (the block before the fork when there is none) and depths are recomputed from it.
    /// </summary>
    /// <exception cref="LedgerArgumentException">The fork height is negative, blocks are not in increasing height order from the fork, or a transaction is out of range.</exception>
    /// <exception cref="LedgerConflictException">A new block holds a stored id with other content; nothing is written.</exception>
    public void Reorganize(string chain, long forkHeight, IReadOnlyList<LedgerBlock> newBlocks)
    {
        LedgerText.Required(chain, LedgerText.MaxChain, nameof(chain));
        ArgumentNullException.ThrowIfNull(newBlocks);
        if (forkHeight < 0) throw new LedgerArgumentException("The fork height must not be negative.", nameof(forkHeight));
        _writer.Write(fold =>
        {
            LedgerChainMoves.Reorganize(fold, _writer, chain, forkHeight, newBlocks, _options.FinalityDepth);
            return 0;
        });
    }

    /// <summary>
    /// Recomputes every balance from the stored non-orphaned transactions and reports each that
    /// differs, and checks every record against its fold marker, its latest Merkle leaf and its
    /// index entries (and every index entry against the records). Reads one snapshot; transactions
    /// received by sync are folded first. Streams the records in key order: its memory grows with
    /// the number of distinct (chain, account, asset) balances and with <paramref name="maxProblems"/>,
    /// not with the number of transactions.
    /// </summary>
    /// <param name="maxProblems">The most problems listed (balance differences are all listed).</param>
    public LedgerVerification VerifyBalances(int maxProblems = 1000) => VerifyBalancesWithin(maxProblems, LedgerVerifierBudget.Unbounded);

    /// <summary>As <see cref="VerifyBalances"/>, failing when the verifier holds more keys than <paramref name="budget"/> allows (tests of its memory bound).</summary>
    internal LedgerVerification VerifyBalancesWithin(int maxProblems, LedgerVerifierBudget budget)
    {
        _follower?.CatchUp();
        return LedgerVerifier.Verify(_families, _merkle, Math.Max(0, maxProblems), budget);
    }

    /// <summary>The number of leaves of the Merkle log: one per stored version of a transaction record.</summary>
    public long TreeSize => _merkle.Size;

    /// <summary>The RFC 9162 root hash of the Merkle log at its current size.</summary>
    public byte[] RootHash => _merkle.RootHash(_merkle.Size);

    /// <summary>The RFC 9162 root hash of the log's first <paramref name="treeSize"/> leaves.</summary>
    public byte[] GetRootHash(long treeSize) => _merkle.RootHash(treeSize);

    /// <summary>The transaction record stored as leaf <paramref name="leafIndex"/> (the leaf's data, decoded).</summary>
    public LedgerTransaction GetLeafRecord(long leafIndex) => LedgerRecordCodec.Decode(_merkle.LeafData(leafIndex));

    /// <summary>The RFC 9162 leaf hash of leaf <paramref name="leafIndex"/>: SHA-256(0x00 ‖ its record).</summary>
    public byte[] GetLeafHash(long leafIndex) => _merkle.LeafHash(leafIndex);

    /// <summary>Proves that leaf <paramref name="leafIndex"/> is in the tree of <paramref name="treeSize"/> leaves.</summary>
    public InclusionProof GetInclusionProof(long leafIndex, long treeSize) => _merkle.GetInclusionProof(leafIndex, treeSize);

    /// <summary>Proves that the tree of <paramref name="oldSize"/> leaves is a prefix of the tree of <paramref name="newSize"/>.</summary>
    public ConsistencyProof GetConsistencyProof(long oldSize, long newSize) => _merkle.GetConsistencyProof(oldSize, newSize);

    /// <summary>Folds now every transaction sync has stored (internal: the lead's wiring and tests; the background follower does this on its own).</summary>
    internal void CatchUpWithSync() => _follower?.CatchUp();

    /// <summary>
    /// A signed checkpoint of the Merkle log as it stands (tree size, root hash, time; ECDSA P-256,
    /// C2SP signed-note text from <see cref="LedgerCheckpoint.ToString"/>), stored so that
    /// <see cref="Verify"/> can later prove the log was never rewritten behind it. Peers exchange
    /// these in every sync session and refuse a history that does not extend what they saw.
    /// </summary>
    public LedgerCheckpoint GetCheckpoint() => _checkpoints.Issue();

    /// <summary>The public key of the ledger's checkpoints, DER SubjectPublicKeyInfo (for <see cref="LedgerCheckpoint.Verify(ReadOnlySpan{byte})"/>).</summary>
    public byte[] PublicKey => (byte[])_checkpoints.PublicKey.Clone();

    /// <summary>
    /// Checks every transaction of <paramref name="chain"/> that is in a block against the network,
    /// through <paramref name="provider"/> (a node): its id is the double SHA-256 of its raw bytes,
    /// its Merkle branch leads to its block header's Merkle root, the header hashes to its stored
    /// block hash, and the headers from it to the tip link by hash with valid proof of work. A proven
    /// transaction has its evidence (branch and headers) stored, re-checked offline by
    /// <see cref="Verify"/>, and becomes final once the proven depth reaches
    /// <see cref="LedgerOptions.FinalityDepth"/>; one the network contradicts is marked orphaned
    /// (its balance effects reversed, history kept) and reported, never kept as confirmed. When the
    /// node cannot answer, the transaction is reported and left as it was.
    /// </summary>
    public Task<LedgerNetworkReport> VerifyAgainstNetworkAsync(string chain, INetworkStateProvider provider, CancellationToken cancellationToken = default)
    {
        LedgerText.Required(chain, LedgerText.MaxChain, nameof(chain));
        ArgumentNullException.ThrowIfNull(provider);
        return _network.VerifyAsync(chain, provider, _options.NetworkVerification, GetTransactions, cancellationToken);
    }

    /// <summary>As <see cref="VerifyAgainstNetworkAsync"/>, blocking until it is done.</summary>
    public LedgerNetworkReport VerifyAgainstNetwork(string chain, INetworkStateProvider provider)
        => VerifyAgainstNetworkAsync(chain, provider).GetAwaiter().GetResult();

    /// <summary>
    /// Everything <see cref="VerifyBalances"/> checks, and the Merkle log (every leaf rehashed from
    /// its stored record, every stored tile recomputed) and every stored checkpoint (signature and
    /// root against the recomputed tree) and every stored network evidence (re-checked offline;
    /// a transaction the network contradicted is listed too): the check <c>lkv ledger verify</c> runs.
    /// Every part streams what it reads: memory grows with the distinct balances, the stored
    /// checkpoints and the problems listed, not with the number of transactions or leaves.
    /// </summary>
    public LedgerVerification Verify(int maxProblems = 1000) => VerifyWithin(maxProblems, LedgerVerifierBudget.Unbounded);

    /// <summary>As <see cref="Verify"/> under a verifier budget (see <see cref="VerifyBalancesWithin"/>).</summary>
    internal LedgerVerification VerifyWithin(int maxProblems, LedgerVerifierBudget budget)
    {
        var balances = VerifyBalancesWithin(maxProblems, budget);
        var problems = new List<LedgerProblem>(balances.Problems);
        var audit = _merkle.Audit();
        problems.AddRange(audit.Problems.Select(p => new LedgerProblem(null, null, "Merkle log: " + p)));
        problems.AddRange(_checkpoints.Verify().Select(p => new LedgerProblem(null, null, "checkpoints: " + p)));
        problems.AddRange(_network.VerifyStored(_options.NetworkVerification));
        return balances with { Problems = problems, LeavesChecked = audit.LeavesChecked };
    }

    /// <summary>Stops following the change feed and leaves sync sessions. The database stays open. A second call does nothing.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        LatticeKV.Sync.SyncAttestors.Remove(_families.Db, _attestor);
        _follower?.Dispose();
        _checkpoints.Dispose();
    }
}
