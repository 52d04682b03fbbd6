using System.Buffers.Binary;

namespace LatticeKV.Ledger.Merkle;

/// <summary>
/// Keys of the Merkle log and checkpoints in the ledger's family (FORMAT.md §22.2, §22.3).
/// Integers are big-endian so that keys sort by number. Persistent format: do not change the
/// prefixes or layouts.
/// </summary>
internal static class MerkleKeys
{
    /// <summary>Leaf data: 'L' ‖ u64 leaf index.</summary>
    internal const byte Leaf = (byte)'L';

    /// <summary>Full tile: 'T' ‖ u8 tile level ‖ u64 tile index.</summary>
    internal const byte Tile = (byte)'T';

    /// <summary>Issued checkpoint: 'C' ‖ u64 tree size ‖ u64 issue time (Unix milliseconds).</summary>
    internal const byte Checkpoint = (byte)'C';

    /// <summary>The ledger's signing key: 'K' ‖ "signing".</summary>
    internal const byte SigningKey = (byte)'K';

    /// <summary>A peer's latest accepted checkpoint: 'P' ‖ UTF-8 peer id.</summary>
    internal const byte Peer = (byte)'P';

    internal const int LeafKeySize = 9;
    internal const int TileKeySize = 10;
    internal const int CheckpointKeySize = 17;

    internal static byte[] LeafKey(long index)
    {
        var key = new byte[LeafKeySize];
        key[0] = Leaf;
        BinaryPrimitives.WriteInt64BigEndian(key.AsSpan(1), index);
        return key;
    }

    internal static byte[] TileKey(int level, long index)
    {
        var key = new byte[TileKeySize];
        key[0] = Tile;
        key[1] = (byte)level;
        BinaryPrimitives.WriteInt64BigEndian(key.AsSpan(2), index);
        return key;
    }

    internal static byte[] CheckpointKey(long treeSize, long unixMilliseconds)
    {
        var key = new byte[CheckpointKeySize];
        key[0] = Checkpoint;
        BinaryPrimitives.WriteInt64BigEndian(key.AsSpan(1), treeSize);
        BinaryPrimitives.WriteInt64BigEndian(key.AsSpan(9), unixMilliseconds);
        return key;
    }

    internal static byte[] SigningKeyKey() => [SigningKey, .. "signing"u8];

    internal static byte[] PeerKey(string peerId) => [Peer, .. System.Text.Encoding.UTF8.GetBytes(peerId)];

    /// <summary>True when <paramref name="key"/> is a leaf key; <paramref name="index"/> is its leaf index.</summary>
    internal static bool TryParseLeaf(ReadOnlySpan<byte> key, out long index)
    {
        index = -1;
        if (key.Length != LeafKeySize || key[0] != Leaf) return false;
        index = BinaryPrimitives.ReadInt64BigEndian(key[1..]);
        return index >= 0;
    }

    /// <summary>True when <paramref name="key"/> is a tile key.</summary>
    internal static bool TryParseTile(ReadOnlySpan<byte> key, out int level, out long index)
    {
        level = -1;
        index = -1;
        if (key.Length != TileKeySize || key[0] != Tile) return false;
        level = key[1];
        index = BinaryPrimitives.ReadInt64BigEndian(key[2..]);
        return index >= 0;
    }

    /// <summary>The smallest key after every key starting with <paramref name="prefix"/>.</summary>
    internal static byte[] PrefixEnd(byte prefix) => [(byte)(prefix + 1)];
}
