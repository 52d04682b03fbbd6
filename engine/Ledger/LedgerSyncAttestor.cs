using System.Buffers.Binary;
using System.Text;
using LatticeKV.Coding;
using LatticeKV.Sync;

namespace LatticeKV.Ledger;

/// <summary>
/// The ledger's part in every sync session (FORMAT.md §17.5, §22.3): it tells the peer the size
/// of the peer's last checkpoint it accepted, answers the peer's with a fresh signed checkpoint and
/// a consistency proof from that size, and judges the peer's answer against its book of peer
/// checkpoints: a peer whose history is not a consistent extension of what this replica accepted
/// before (a fork, a rewrite, a rollback, another key) is refused with a
/// <see cref="LedgerForkException"/> before any of its changes is applied.
/// </summary>
/// <remarks>
/// Seen body: <c>format:u8 (1) | has:u8 (0 none accepted yet, 1) | size:u64 LE</c>.
/// Claim body: <c>format:u8 (1) | checkpoint: lp UTF-8 (the signed note) | public key: lp (DER SPKI) |
/// proof old size:u64 LE | count:varint | count × 32-byte hash</c>. Both read as untrusted: a
/// malformed claim is a refusal.
/// </remarks>
internal sealed class LedgerSyncAttestor(LedgerCheckpoints checkpoints, Merkle.MerkleLog log) : ISyncAttestor
{
    private const byte Format = 1;
    private const int MaxProofHashes = 128;

    public string Name => "ledger";

    public byte[] Seen(Guid peer)
    {
        var accepted = checkpoints.Peers.Latest(PeerId(peer));
        var body = new byte[10];
        body[0] = Format;
        body[1] = accepted is null ? (byte)0 : (byte)1;
        BinaryPrimitives.WriteInt64LittleEndian(body.AsSpan(2), accepted?.TreeSize ?? 0);
        return body;
    }

    public byte[] Claim(Guid peer, ReadOnlySpan<byte> peerSeen)
    {
        if (peerSeen.Length != 10 || peerSeen[0] != Format || peerSeen[1] > 1)
            throw new SyncProtocolException($"malformed ledger attestation (seen, {peerSeen.Length} bytes)");
        bool has = peerSeen[1] == 1;
        long seenSize = BinaryPrimitives.ReadInt64LittleEndian(peerSeen[2..]);
        var checkpoint = checkpoints.Issue();
        // A peer that saw more than this log holds gets no proof: it will refuse this replica, rightly.
        IReadOnlyList<byte[]> proof = has && seenSize > 0 && seenSize < checkpoint.TreeSize
            ? log.GetConsistencyProof(seenSize, checkpoint.TreeSize).Hashes
            : [];
        var w = new ByteWriter(512 + 32 * proof.Count);
        w.WriteByte(Format);
        w.WriteLengthPrefixed(Encoding.UTF8.GetBytes(checkpoint.ToString()));
        w.WriteLengthPrefixed(checkpoints.PublicKey);
        Span<byte> size = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(size, has ? seenSize : 0);
        w.Write(size);
        w.WriteVarint((uint)proof.Count);
        foreach (var hash in proof) w.Write(hash);
        return w.ToArray();
    }

    public void Judge(Guid peer, ReadOnlySpan<byte> claim)
    {
        // A peer without a ledger claims nothing: there is no history to judge, unless its history was accepted before.
        if (claim.IsEmpty)
        {
            if (RefusalWithoutClaim(peer) is { } refusal) throw refusal;
            return;
        }
        string peerId = PeerId(peer);
        LedgerCheckpoint checkpoint;
        byte[] publicKey;
        ConsistencyProof proof;
        try
        {
            var r = new SpanReader(claim);
            if (r.ReadByte() != Format) throw new CorruptionException("unknown ledger attestation format");
            var text = r.ReadLengthPrefixed();
            if (text.Length > LedgerCheckpoint.MaxTextLength) throw new CorruptionException("a checkpoint over the longest allowed");
            if (!LedgerCheckpoint.TryParse(CheckpointText(text), out var parsed)) throw new CorruptionException("a checkpoint that does not parse");
            checkpoint = parsed;
            publicKey = r.ReadLengthPrefixed().ToArray();
            long oldSize = BinaryPrimitives.ReadInt64LittleEndian(r.Take(8));
            int count = r.ReadVarintInt(MaxProofHashes);
            var hashes = new byte[count][];
            for (int i = 0; i < count; i++) hashes[i] = r.Take(32).ToArray();
            if (!r.IsEmpty) throw new CorruptionException($"{r.Remaining} bytes after the ledger attestation");
            proof = new ConsistencyProof(oldSize, checkpoint.TreeSize, hashes);
        }
        catch (CorruptionException ex)
        {
            throw new LedgerForkException(peerId, checkpoints.Peers.Latest(peerId)?.TreeSize ?? 0, 0, "its ledger attestation is malformed: " + ex.Message);
        }
        checkpoints.Peers.Accept(peerId, checkpoint, proof, publicKey);
    }

    public LatticeException? RefusalWithoutClaim(Guid peer)
    {
        string peerId = PeerId(peer);
        return checkpoints.Peers.Latest(peerId) is { } accepted
            ? new LedgerForkException(peerId, accepted.TreeSize, 0, "it presented no ledger checkpoint, but its ledger history was accepted before: a peer may not drop out of attestation")
            : null;
    }

    private static string? CheckpointText(ReadOnlySpan<byte> bytes)
    {
        try { return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes); }
        catch (DecoderFallbackException) { return null; }
    }

    private static string PeerId(Guid peer) => peer.ToString("D");
}
