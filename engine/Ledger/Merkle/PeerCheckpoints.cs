using System.Buffers.Binary;
using System.Text;

namespace LatticeKV.Ledger.Merkle;

/// <summary>
/// The book of peers' checkpoints: per peer id, its public key (pinned at the first accepted
/// checkpoint, or by <see cref="Trust"/>) and the latest checkpoint accepted from it, persisted
/// in the ledger's family (FORMAT.md §22.3). A new checkpoint is accepted only when it is
/// signed by the pinned key, has the same origin, and a consistency proof shows it extends the
/// accepted one; otherwise <see cref="LedgerForkException"/> and the book is unchanged.
/// Thread-safe.
/// </summary>
internal sealed class PeerCheckpoints(LatticeDb db, ColumnFamilyHandle family)
{
    /// <summary>Version of a peer entry's value. Persistent format: only goes up.</summary>
    private const byte EntryVersion = 1;

    /// <summary>Longest peer id in UTF-8 bytes.</summary>
    internal const int MaxPeerIdBytes = 1024;

    // Serialises read-check-write per book; entries are few and accepted rarely.
    private readonly Lock _lock = new();

    /// <summary>The latest checkpoint accepted from <paramref name="peerId"/>, or null.</summary>
    internal LedgerCheckpoint? Latest(string peerId) => Load(peerId).Checkpoint;

    /// <summary>The public key pinned for <paramref name="peerId"/> (DER SubjectPublicKeyInfo), or null.</summary>
    internal byte[]? PublicKey(string peerId) => Load(peerId).Key;

    /// <summary>Pins <paramref name="publicKey"/> for <paramref name="peerId"/>; a different key already pinned refuses it.</summary>
    internal void Trust(string peerId, ReadOnlySpan<byte> publicKey)
    {
        if (publicKey.IsEmpty) throw new InvalidArgumentException("a peer's public key is a DER SubjectPublicKeyInfo", nameof(publicKey));
        lock (_lock)
        {
            var (key, checkpoint) = Load(peerId);
            if (key is not null && !key.AsSpan().SequenceEqual(publicKey))
                throw new LedgerForkException(peerId, checkpoint?.TreeSize ?? 0, checkpoint?.TreeSize ?? 0, "the peer presents another key than the one pinned for it");
            if (key is null) Save(peerId, publicKey.ToArray(), checkpoint);
        }
    }

    /// <summary>
    /// Accepts <paramref name="checkpoint"/> from <paramref name="peerId"/>, whose key must be
    /// pinned, when <paramref name="proof"/> shows it extends the last one accepted (the proof
    /// may be null when none was, or when the sizes are equal).
    /// </summary>
    /// <exception cref="LedgerForkException">The checkpoint is refused; the book is unchanged.</exception>
    internal void Accept(string peerId, LedgerCheckpoint checkpoint, ConsistencyProof? proof)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        lock (_lock)
        {
            var (key, previous) = Load(peerId);
            if (key is null) throw new InvalidArgumentException($"no public key is pinned for peer '{peerId}'", nameof(peerId));
            Check(peerId, key, previous, checkpoint, proof);
            if (previous is null || checkpoint.TreeSize > previous.TreeSize || checkpoint.UnixMilliseconds > previous.UnixMilliseconds)
                Save(peerId, key, checkpoint);
        }
    }

    /// <summary>Pins <paramref name="publicKey"/> on first use (or checks it equals the pinned one), then <see cref="Accept(string, LedgerCheckpoint, ConsistencyProof?)"/>.</summary>
    internal void Accept(string peerId, LedgerCheckpoint checkpoint, ConsistencyProof? proof, ReadOnlySpan<byte> publicKey)
    {
        lock (_lock)
        {
            // Check before pinning, so that a refused first checkpoint pins nothing.
            var (key, previous) = Load(peerId);
            if (key is null)
            {
                if (publicKey.IsEmpty) throw new InvalidArgumentException("a peer's public key is a DER SubjectPublicKeyInfo", nameof(publicKey));
                Check(peerId, publicKey.ToArray(), previous, checkpoint, proof);
                Save(peerId, publicKey.ToArray(), checkpoint);
                return;
            }
            Trust(peerId, publicKey);
            Accept(peerId, checkpoint, proof);
        }
    }

    private static void Check(string peerId, byte[] key, LedgerCheckpoint? previous, LedgerCheckpoint offered, ConsistencyProof? proof)
    {
        long accepted = previous?.TreeSize ?? 0;
        void Refuse(string reason) => throw new LedgerForkException(peerId, accepted, offered.TreeSize, reason);

        if (!offered.Verify(key)) Refuse("its signature does not verify with the peer's key");
        if (previous is null) return;
        if (offered.Origin != previous.Origin) Refuse($"its origin '{offered.Origin}' is not '{previous.Origin}'");
        if (offered.TreeSize < previous.TreeSize) Refuse("its tree is smaller than one already accepted (a rollback)");
        if (offered.TreeSize == previous.TreeSize)
        {
            if (!offered.Root.SequenceEqual(previous.Root)) Refuse("it has another root for the same size (a fork)");
            return;
        }
        if (proof is null) Refuse("no consistency proof came with it");
        if (proof!.OldSize != previous.TreeSize || proof.NewSize != offered.TreeSize)
            Refuse($"its consistency proof is between sizes {proof.OldSize} and {proof.NewSize}");
        if (!MerkleProof.VerifyConsistency(previous.TreeSize, offered.TreeSize, previous.Root, offered.Root, proof.Hashes))
            Refuse("its consistency proof does not verify (a fork or a rewritten history)");
    }

    private (byte[]? Key, LedgerCheckpoint? Checkpoint) Load(string peerId)
    {
        var value = db.Get(family, KeyOf(peerId));
        if (value is null) return (null, null);
        if (!TryDecode(value, out var key, out var checkpoint))
            throw new CorruptionException($"the checkpoint book entry of peer '{peerId}' in family '{family.Name}' is malformed");
        return (key, checkpoint);
    }

    private void Save(string peerId, byte[] key, LedgerCheckpoint? checkpoint)
        => db.Put(family, KeyOf(peerId), Encode(key, checkpoint), new WriteOptions { Sync = true });

    private static byte[] KeyOf(string peerId)
    {
        ArgumentException.ThrowIfNullOrEmpty(peerId);
        var key = MerkleKeys.PeerKey(peerId);
        if (key.Length - 1 > MaxPeerIdBytes) throw new InvalidArgumentException($"a peer id has at most {MaxPeerIdBytes} UTF-8 bytes", nameof(peerId));
        return key;
    }

    /// <summary>Entry value: u8 version ‖ u16 key length ‖ key ‖ checkpoint text (UTF-8, possibly empty). FORMAT.md §22.3.</summary>
    internal static byte[] Encode(byte[] key, LedgerCheckpoint? checkpoint)
    {
        var text = checkpoint is null ? [] : Encoding.UTF8.GetBytes(checkpoint.ToString());
        var value = new byte[3 + key.Length + text.Length];
        value[0] = EntryVersion;
        BinaryPrimitives.WriteUInt16LittleEndian(value.AsSpan(1), checked((ushort)key.Length));
        key.CopyTo(value, 3);
        text.CopyTo(value, 3 + key.Length);
        return value;
    }

    /// <summary>Decodes an entry value; false when it is malformed.</summary>
    internal static bool TryDecode(ReadOnlySpan<byte> value, out byte[] key, out LedgerCheckpoint? checkpoint)
    {
        key = [];
        checkpoint = null;
        if (value.Length < 3 || value[0] != EntryVersion) return false;
        int keyLength = BinaryPrimitives.ReadUInt16LittleEndian(value[1..]);
        if (keyLength == 0 || value.Length < 3 + keyLength) return false;
        key = value.Slice(3, keyLength).ToArray();
        var text = value[(3 + keyLength)..];
        if (text.IsEmpty) return true;
        return LedgerCheckpoint.TryParse(CheckpointStore.Utf8OrNull(text), out checkpoint);
    }
}
