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

    private const int DigestOffset = 1 + 8 + 8;
    private const int HeaderSize = DigestOffset + 32;

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
        WriteHeader(bytes, Arrival, LeafIndex);
        Digest.CopyTo(bytes, DigestOffset);
        record.CopyTo(bytes, HeaderSize);
        return bytes;
    }

    /// <summary>
    /// A marker's bytes straight from the folded record's canonical bytes (<paramref name="record"/>,
    /// whose raw bytes are <paramref name="rawLength"/> long, whose SHA-256 is <paramref name="digest"/>),
    /// the same as <see cref="Encode()"/> gives: the record is not encoded again.
    /// </summary>
    internal static byte[] Encode(ulong arrival, long leafIndex, ReadOnlySpan<byte> digest, ReadOnlySpan<byte> record, int rawLength)
    {
        var bytes = new byte[HeaderSize + LedgerRecordCodec.WithoutRawLength(record.Length, rawLength)];
        WriteHeader(bytes, arrival, leafIndex);
        digest.CopyTo(bytes.AsSpan(DigestOffset, 32));
        LedgerRecordCodec.WriteWithoutRaw(record, rawLength, bytes.AsSpan(HeaderSize));
        return bytes;
    }

    private static void WriteHeader(Span<byte> bytes, ulong arrival, long leafIndex)
    {
        bytes[0] = Version;
        BinaryPrimitives.WriteUInt64LittleEndian(bytes[1..], arrival);
        BinaryPrimitives.WriteInt64LittleEndian(bytes[9..], leafIndex);
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
