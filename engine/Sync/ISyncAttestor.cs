namespace LatticeKV.Sync;

/// <summary>
/// Something a replica proves about its own history at the start of each sync session, and
/// judges in its peer's (FORMAT.md §17.5): the ledger's signed Merkle checkpoints, so a peer whose
/// history is not a consistent extension of what this replica saw before (a fork or a rewrite) is
/// refused before any of its changes is applied. Registered per database in
/// <see cref="SyncAttestors"/>; spoken from sync protocol version 2 on.
/// </summary>
/// <remarks>
/// The exchange, per attestor name: each side sends <see cref="Seen"/> (what it holds of the
/// peer's history), before its Pull; each answers the other's with <see cref="Claim"/>; each
/// judges the answer with <see cref="Judge"/>. A peer's claim arrives before its first Changes
/// frame, so a refusal precedes any data from that peer. Bodies come from the network: an
/// attestor reads them as untrusted.
/// </remarks>
internal interface ISyncAttestor
{
    /// <summary>Names the attestation on the wire (1 to 64 bytes of UTF-8); the two sides match attestors by it.</summary>
    string Name { get; }

    /// <summary>What this replica holds of <paramref name="peer"/>'s history (for the ledger: the size of the last checkpoint it accepted).</summary>
    byte[] Seen(Guid peer);

    /// <summary>The answer to the peer's <see cref="Seen"/>: this replica's claim about its own history, proven against what the peer saw.</summary>
    byte[] Claim(Guid peer, ReadOnlySpan<byte> peerSeen);

    /// <summary>Judges the peer's claim; throws (a <see cref="LatticeException"/>) to refuse the peer, and then nothing of the peer's is applied.</summary>
    void Judge(Guid peer, ReadOnlySpan<byte> claim);

    /// <summary>
    /// When this attestor has accepted <paramref name="peer"/>'s history before, the refusal for a
    /// session in which the peer proves nothing (no claim, an empty one, or a protocol version
    /// without attestations): a peer once attested may not drop out of attestation. Null when the
    /// peer may claim nothing (this attestor knows nothing of it).
    /// </summary>
    LatticeException? RefusalWithoutClaim(Guid peer);
}
