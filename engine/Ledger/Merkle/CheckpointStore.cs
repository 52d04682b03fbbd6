using System.Text;

namespace LatticeKV.Ledger.Merkle;

/// <summary>
/// Every checkpoint the ledger issued, stored in its text form under its tree size and time
/// (FORMAT.md §22.3), so that a later check can prove the tree was not rewritten since: each
/// stored checkpoint must parse, verify with the ledger's key and carry the root the log
/// recomputes for its size. Thread-safe (each call is one database read or write).
/// </summary>
internal sealed class CheckpointStore(LatticeDb db, ColumnFamilyHandle family)
{
    /// <summary>Adds the write that stores <paramref name="checkpoint"/> to <paramref name="batch"/>.</summary>
    internal void Stage(WriteBatch batch, LedgerCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(checkpoint);
        batch.Put(family, MerkleKeys.CheckpointKey(checkpoint.TreeSize, checkpoint.UnixMilliseconds), Encoding.UTF8.GetBytes(checkpoint.ToString()));
    }

    /// <summary>Stores <paramref name="checkpoint"/> in a write of its own.</summary>
    internal void Store(LedgerCheckpoint checkpoint, WriteOptions? options = null)
    {
        var batch = new WriteBatch();
        Stage(batch, checkpoint);
        db.Write(batch, options);
    }

    /// <summary>The most recently issued checkpoint of the largest tree, or null when none was stored.</summary>
    /// <exception cref="CorruptionException">The stored text is not a checkpoint.</exception>
    internal LedgerCheckpoint? Latest()
    {
        using var it = NewIterator();
        it.SeekToLast();
        return it.Valid ? ParseStored(it.Key, it.Value) : null;
    }

    /// <summary>
    /// Checks every stored checkpoint against <paramref name="log"/> and the ledger's public key
    /// <paramref name="publicKey"/>; returns one line per problem (empty when all hold).
    /// </summary>
    internal IReadOnlyList<string> Verify(MerkleLog log, ReadOnlySpan<byte> publicKey, string? origin = null)
    {
        ArgumentNullException.ThrowIfNull(log);
        var problems = new List<string>();
        var roots = new Dictionary<long, byte[]>();
        using var it = NewIterator();
        for (it.SeekToFirst(); it.Valid; it.Next())
        {
            string where = "checkpoint " + Convert.ToHexString(it.Key);
            if (it.Key.Length != MerkleKeys.CheckpointKeySize || !LedgerCheckpoint.TryParse(Utf8OrNull(it.Value), out var checkpoint))
            {
                problems.Add(where + " is not a well-formed checkpoint");
                continue;
            }
            if (!it.Key.SequenceEqual(MerkleKeys.CheckpointKey(checkpoint.TreeSize, checkpoint.UnixMilliseconds)))
                problems.Add(where + $" is stored under another size or time than its own (size {checkpoint.TreeSize})");
            // The origin and key name are outside what the signature covers (the key name) or are
            // covered but could name another log (the origin): both must be this ledger's.
            if (origin is not null && (checkpoint.Origin != origin || checkpoint.KeyName != origin))
                problems.Add(where + $" (size {checkpoint.TreeSize}) names another origin or key than this ledger's");
            if (!checkpoint.Verify(publicKey))
                problems.Add(where + $" (size {checkpoint.TreeSize}) is not signed by the ledger's key");
            if (checkpoint.TreeSize > log.Size)
            {
                problems.Add(where + $" is of size {checkpoint.TreeSize}, beyond the log's {log.Size} leaves");
                continue;
            }
            if (!roots.TryGetValue(checkpoint.TreeSize, out var root)) roots[checkpoint.TreeSize] = root = log.RootHash(checkpoint.TreeSize);
            if (!checkpoint.Root.SequenceEqual(root))
                problems.Add(where + $" (size {checkpoint.TreeSize}) has a root the log does not recompute: the tree was rewritten");
        }
        return problems;
    }

    private LatticeIterator NewIterator() => db.NewIterator(family, new ReadOptions
    {
        IterateLowerBound = [MerkleKeys.Checkpoint],
        IterateUpperBound = MerkleKeys.PrefixEnd(MerkleKeys.Checkpoint),
    });

    private LedgerCheckpoint ParseStored(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
        => LedgerCheckpoint.TryParse(Utf8OrNull(value), out var checkpoint)
            ? checkpoint
            : throw new CorruptionException($"checkpoint {Convert.ToHexString(key)} in family '{family.Name}' is not a well-formed checkpoint");

    /// <summary>The text of a stored value, or null when it is not UTF-8 (or too long to be a checkpoint).</summary>
    internal static string? Utf8OrNull(ReadOnlySpan<byte> value)
    {
        if (value.Length > LedgerCheckpoint.MaxTextLength * 3) return null;
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(value);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }
}
