using System.Buffers.Binary;
using LatticeKV.Coding;

namespace LatticeKV.Ledger;

/// <summary>
/// What this replica has folded of one transaction into its balances, indexes and Merkle log (the
/// value of <c>ledger.folded</c>, never replicated; FORMAT.md §22.1): the order it first arrived in,
/// the leaf of the last folded record, that record's SHA-256 and the record itself without its raw
/// bytes (its postings and placement are what a later fold must reverse). Persistent format: do not change.
/// </summary>
/// <param name="Arrival">This ledger's arrival number of the transaction (orders pending ones).</param>
/// <param name="LeafIndex">The Merkle leaf holding the folded record.</param>
/// <param name="Digest">SHA-256 of the folded record's canonical bytes.</param>
/// <param name="Folded">The folded record (its raw bytes left out).</param>
internal sealed record FoldMarker(ulong Arrival, long LeafIndex, byte[] Digest, LedgerTransaction Folded)
{
    /// <summary>The marker layout's version byte. Persistent format: do not change.</summary>
    internal const byte Version = 1;

    private const int HeaderSize = 1 + 8 + 8 + 32;

    /// <summary>The index slot (height, order) of the folded record.</summary>
    internal (ulong Height, ulong Order) Place => PlaceOf(Folded, Arrival);

    /// <summary>
    /// Where a record sits in the indexes: in a block (also once orphaned) at (height, position);
    /// otherwise after every block, in arrival order.
    /// </summary>
    internal static (ulong Height, ulong Order) PlaceOf(LedgerTransaction tx, ulong arrival)
        => tx.BlockHeight is { } h && tx.Status.Kind != LedgerStatusKind.Pending ? ((ulong)h, (ulong)tx.Position) : (LedgerKeys.NoHeight, arrival);

    internal byte[] Encode()
    {
        var record = LedgerRecordCodec.Encode(Folded, withRaw: false);
        var bytes = new byte[HeaderSize + record.Length];
        bytes[0] = Version;
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(1), Arrival);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(9), LeafIndex);
        Digest.CopyTo(bytes, 17);
        record.CopyTo(bytes, HeaderSize);
        return bytes;
    }

    internal static FoldMarker Decode(ReadOnlySpan<byte> data)
    {
        var r = new SpanReader(data);
        byte version = r.ReadByte();
        if (version != Version) throw new CorruptionException($"ledger fold marker has unknown version {version}");
        ulong arrival = r.ReadUInt64();
        long leaf = (long)r.ReadUInt64();
        byte[] digest = r.Take(32).ToArray();
        if (leaf < 0) throw new CorruptionException("ledger fold marker has a negative leaf index");
        return new FoldMarker(arrival, leaf, digest, LedgerRecordCodec.Decode(data[r.Position..]));
    }
}
