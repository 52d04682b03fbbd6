using System.Buffers.Binary;
using System.Text;

namespace LatticeKV.Ledger;

/// <summary>
/// Verification of the ledger's transactions against the network (FORMAT.md §22.4): each
/// transaction in a block is checked by a <see cref="NetworkVerifier"/> against a node's headers
/// and Merkle branches; a proven one gets its evidence stored beside it (and becomes final once
/// the proven depth reaches <see cref="LedgerOptions.FinalityDepth"/>), one the network
/// contradicts is marked orphaned (its balance effects reversed) with the reason stored, and
/// <see cref="VerifyStored"/> re-checks every stored evidence offline.
/// </summary>
internal sealed class LedgerNetwork(LedgerFamilies families, LedgerWriter writer, LedgerOptions options)
{
    internal async Task<LedgerNetworkReport> VerifyAsync(string chain, INetworkStateProvider provider, NetworkVerifierOptions? verifierOptions, Func<string, LedgerQuery, LedgerPage> page, CancellationToken ct)
    {
        var verifier = new NetworkVerifier(verifierOptions);
        var results = new List<NetworkVerificationResult>();
        string? continuation = null;
        do
        {
            var batch = page(chain, new LedgerQuery { Limit = 1000, Continuation = continuation });
            foreach (var tx in batch.Transactions)
            {
                if (!tx.Status.InBlock) continue;
                var result = Claim(tx) is { } claim
                    ? await verifier.VerifyAsync(claim, provider, ct).ConfigureAwait(false)
                    : Unreadable(tx);
                results.Add(result);
                Record(tx, result);
            }
            continuation = batch.Continuation;
        }
        while (continuation is not null);
        return new LedgerNetworkReport(results);
    }

    /// <summary>Every stored evidence re-checked offline against its transaction's record, and every stored failure: one problem each.</summary>
    internal IEnumerable<LedgerProblem> VerifyStored(NetworkVerifierOptions? verifierOptions)
    {
        var verifier = new NetworkVerifier(verifierOptions);
        foreach (var (chain, txid, value) in Entries(LedgerKeys.EvidencePrefix))
        {
            var stored = families.Db.Get(families.Transactions, LedgerKeys.Transaction(chain, txid));
            if (stored is null)
            {
                yield return new LedgerProblem(chain, txid, "network evidence is stored for a transaction the ledger does not hold");
                continue;
            }
            var tx = LedgerRecordCodec.Decode(stored);
            string? problem;
            try
            {
                var claim = Claim(tx);
                problem = claim is null ? "the stored record cannot be checked against the network (not in a block, or ids not hex)"
                    : verifier.VerifyOffline(claim, NetworkEvidence.Decode(value)) is { IsVerified: false } failed ? $"network evidence does not verify: {failed.Failure}: {failed.Message}"
                    : null;
            }
            catch (ChainDataException ex)
            {
                problem = "network evidence is malformed: " + ex.Message;
            }
            if (problem is not null) yield return new LedgerProblem(chain, txid, problem);
        }
        foreach (var (chain, txid, value) in Entries(LedgerKeys.NetworkFailurePrefix))
            yield return new LedgerProblem(chain, txid, "failed verification against the network: " + Encoding.UTF8.GetString(value));
    }

    private void Record(LedgerTransaction tx, NetworkVerificationResult result)
    {
        // A node that could not answer proves nothing either way: the transaction stays as it is.
        if (result.Failure is NetworkVerificationFailure.ProviderFailed or NetworkVerificationFailure.EvidenceUnavailable or NetworkVerificationFailure.HeaderUnavailable)
            return;
        var evidenceKey = LedgerKeys.Evidence(tx.Chain, tx.TransactionId);
        var failureKey = LedgerKeys.NetworkFailure(tx.Chain, tx.TransactionId);
        writer.Write(fold =>
        {
            var current = fold.Record(tx.Chain, tx.TransactionId)?.Transaction;
            if (current is null || !current.Status.InBlock || current.BlockHash != tx.BlockHash) return 0; // moved meanwhile: the next run judges it
            if (result.IsVerified)
            {
                fold.Batch.Put(families.Meta, evidenceKey, result.Evidence!.Encode());
                fold.Batch.Delete(families.Meta, failureKey);
                if (result.Depth >= options.FinalityDepth && current.Status.Kind != LedgerStatusKind.Final)
                    writer.AppendOne(fold, current with { Status = LedgerStatus.Final });
            }
            else
            {
                // Never kept as confirmed: the network contradicts it, so it counts no more.
                fold.Batch.Delete(families.Meta, evidenceKey);
                fold.Batch.Put(families.Meta, failureKey, Encoding.UTF8.GetBytes($"{result.Failure}: {result.Message}"));
                writer.AppendOne(fold, current with { Status = LedgerStatus.Orphaned });
            }
            return 0;
        });
    }

    private static ChainTransactionClaim? Claim(LedgerTransaction tx)
    {
        if (tx.BlockHeight is not { } height || tx.BlockHash is null) return null;
        try
        {
            return new ChainTransactionClaim(tx.Chain, ChainHash.Parse(tx.TransactionId), height, ChainHash.Parse(tx.BlockHash), tx.Position, tx.RawTransaction);
        }
        catch (Exception ex) when (ex is ChainDataException or FormatException or ArgumentException)
        {
            return null;
        }
    }

    private static NetworkVerificationResult Unreadable(LedgerTransaction tx)
        => NetworkVerificationResult.Failed(default, NetworkVerificationFailure.MalformedTransaction,
            "the transaction id or its block hash is not a 64-digit hex id");

    /// <summary>The (chain, transaction id, value) of every <c>ledger.meta</c> entry under <paramref name="prefix"/>.</summary>
    private IEnumerable<(string Chain, string TransactionId, byte[] Value)> Entries(byte[] prefix)
    {
        var upper = (byte[])prefix.Clone();
        upper[^1]++;
        using var it = families.Db.NewIterator(families.Meta, new ReadOptions { IterateLowerBound = prefix, IterateUpperBound = upper });
        for (it.SeekToFirst(); it.Valid; it.Next())
        {
            var key = it.Key[prefix.Length..];
            if (!TryText(ref key, out var chain) || !TryText(ref key, out var txid) || !key.IsEmpty)
                throw new CorruptionException($"a malformed key under '{Encoding.ASCII.GetString(prefix)}' in family '{families.Meta.Name}'");
            yield return (chain, txid, it.Value.ToArray());
        }
    }

    private static bool TryText(ref ReadOnlySpan<byte> key, out string text)
    {
        text = "";
        if (key.Length < 2) return false;
        int length = BinaryPrimitives.ReadUInt16BigEndian(key);
        if (key.Length < 2 + length) return false;
        text = Encoding.UTF8.GetString(key.Slice(2, length));
        key = key[(2 + length)..];
        return true;
    }
}
