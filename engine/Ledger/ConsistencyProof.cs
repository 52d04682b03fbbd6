namespace LatticeKV.Ledger;

/// <summary>
/// An RFC 9162 consistency proof (§2.1.4): the hashes showing that the tree of
/// <see cref="NewSize"/> leaves extends the tree of <see cref="OldSize"/> leaves without
/// changing any of them. Check it with <see cref="MerkleProof.VerifyConsistency"/>; the proof
/// itself is untrusted data.
/// </summary>
public sealed class ConsistencyProof
{
    /// <summary>Creates a proof; <paramref name="hashes"/> is copied (each hash is kept as given).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="hashes"/> is null.</exception>
    public ConsistencyProof(long oldSize, long newSize, IReadOnlyList<byte[]> hashes)
    {
        ArgumentNullException.ThrowIfNull(hashes);
        OldSize = oldSize;
        NewSize = newSize;
        Hashes = hashes.ToArray();
    }

    /// <summary>Number of leaves of the older tree.</summary>
    public long OldSize { get; }

    /// <summary>Number of leaves of the newer tree.</summary>
    public long NewSize { get; }

    /// <summary>The consistency path (RFC 9162 §2.1.4.1).</summary>
    public IReadOnlyList<byte[]> Hashes { get; }

    /// <summary>True when the proof shows that the tree with root <paramref name="newRoot"/> extends the one with root <paramref name="oldRoot"/>.</summary>
    public bool Verify(ReadOnlySpan<byte> oldRoot, ReadOnlySpan<byte> newRoot)
        => MerkleProof.VerifyConsistency(OldSize, NewSize, oldRoot, newRoot, Hashes);
}
