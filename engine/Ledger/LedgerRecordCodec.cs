using System.Buffers.Binary;
using System.Security.Cryptography;
using LatticeKV.Coding;

namespace LatticeKV.Ledger;

/// <summary>
/// The canonical transaction record (FORMAT.md §22.1): the value of <c>ledger.tx</c>, the data of
/// its Merkle leaves and, without its raw bytes, part of the fold marker. One transaction has one
/// encoding: postings are sorted before they are written, so equal contents give equal bytes.
/// Persistent format: do not change the layout of version 1.
/// </summary>
internal static class LedgerRecordCodec
{
    /// <summary>The record layout's version byte. Persistent format: do not change.</summary>
    internal const byte Version = 1;

    private const int MaxPostings = 1 << 20;

    // Version, status kind, depth, height, position.
    private const int FixedSize = 1 + 1 + 4 + 8 + 4;

    /// <summary>Checks <paramref name="tx"/> against the ledger's limits and returns it with its postings in canonical order.</summary>
    /// <exception cref="LedgerArgumentException">A field is out of range, or the postings' sum per account and asset overflows.</exception>
    internal static LedgerTransaction Canonical(LedgerTransaction tx)
    {
        ArgumentNullException.ThrowIfNull(tx);
        LedgerText.Required(tx.Chain, LedgerText.MaxChain, nameof(tx.Chain));
        LedgerText.Required(tx.TransactionId, LedgerText.MaxTransactionId, nameof(tx.TransactionId));
        LedgerText.Optional(tx.BlockHash, LedgerText.MaxBlockHash, nameof(tx.BlockHash));
        if (tx.RawTransaction is null) throw new LedgerArgumentException("RawTransaction must not be null (use an empty array).", nameof(tx.RawTransaction));
        if (tx.Postings is null) throw new LedgerArgumentException("Postings must not be null.", nameof(tx.Postings));
        if (tx.Postings.Count > MaxPostings) throw new LedgerArgumentException($"A transaction has at most {MaxPostings} postings.", nameof(tx.Postings));
        if (tx.RawTransaction.Length > WriteBatch.MaxValueSize / 2) throw new LedgerArgumentException("RawTransaction is too large.", nameof(tx.RawTransaction));
        if (tx.BlockHeight is < 0) throw new LedgerArgumentException("BlockHeight must not be negative.", nameof(tx.BlockHeight));
        if (tx.Position < 0) throw new LedgerArgumentException("Position must not be negative.", nameof(tx.Position));
        if (!Enum.IsDefined(tx.Status.Kind)) throw new LedgerArgumentException("Status has an unknown kind.", nameof(tx.Status));
        switch (tx.Status.Kind)
        {
            case LedgerStatusKind.Pending when tx.BlockHeight is not null || !string.IsNullOrEmpty(tx.BlockHash) || tx.Position != 0:
                throw new LedgerArgumentException("A pending transaction has no block height, block hash or position.", nameof(tx.Status));
            case LedgerStatusKind.Confirmed or LedgerStatusKind.Final when tx.BlockHeight is null:
                throw new LedgerArgumentException("A confirmed or final transaction needs its BlockHeight.", nameof(tx.BlockHeight));
            case LedgerStatusKind.Confirmed when tx.Status.Depth < 1:
                throw new LedgerArgumentException("Confirmed needs a depth of at least 1.", nameof(tx.Status));
            case not LedgerStatusKind.Confirmed when tx.Status.Depth != 0:
                throw new LedgerArgumentException("Only Confirmed has a depth.", nameof(tx.Status));
        }
        var postings = new LedgerPosting[tx.Postings.Count];
        for (int i = 0; i < postings.Length; i++)
        {
            var p = tx.Postings[i];
            LedgerText.Required(p.Account, LedgerText.MaxAccount, "Account");
            LedgerText.Required(p.Asset, LedgerText.MaxAsset, "Asset");
            postings[i] = p;
        }
        Array.Sort(postings, ComparePostings);
        for (int i = 0; i < postings.Length;) i = LedgerAmounts.SumRun(postings, i, out _); // refuses sums that overflow
        return tx with { BlockHash = string.IsNullOrEmpty(tx.BlockHash) ? null : tx.BlockHash, Postings = postings };
    }

    internal static int ComparePostings(LedgerPosting a, LedgerPosting b)
    {
        int c = string.CompareOrdinal(a.Account, b.Account);
        if (c != 0) return c;
        c = string.CompareOrdinal(a.Asset, b.Asset);
        return c != 0 ? c : a.Amount.CompareTo(b.Amount);
    }

    /// <summary>Encodes a canonical transaction (<see cref="Canonical"/>); <paramref name="withRaw"/> false writes its raw bytes as empty.</summary>
    internal static byte[] Encode(LedgerTransaction tx, bool withRaw = true)
    {
        // Sized exactly and written in place: every append encodes its record.
        var raw = withRaw ? tx.RawTransaction : [];
        int size = FixedSize + 2 + Utf8.GetByteCount(tx.Chain) + 2 + Utf8.GetByteCount(tx.TransactionId) + 2 + (tx.BlockHash is null ? 0 : Utf8.GetByteCount(tx.BlockHash))
            + 4 + 4 + raw.Length;
        foreach (var p in tx.Postings) size += 2 + Utf8.GetByteCount(p.Account) + 2 + Utf8.GetByteCount(p.Asset) + 16;
        var bytes = new byte[size];
        var w = bytes.AsSpan();
        w[0] = Version;
        w[1] = (byte)tx.Status.Kind;
        BinaryPrimitives.WriteUInt32LittleEndian(w[2..], (uint)tx.Status.Depth);
        BinaryPrimitives.WriteUInt64LittleEndian(w[6..], (ulong)(tx.BlockHeight ?? -1));
        BinaryPrimitives.WriteUInt32LittleEndian(w[14..], (uint)tx.Position);
        int at = FixedSize;
        at += WriteText(w[at..], tx.Chain);
        at += WriteText(w[at..], tx.TransactionId);
        at += WriteText(w[at..], tx.BlockHash ?? "");
        BinaryPrimitives.WriteUInt32LittleEndian(w[at..], (uint)tx.Postings.Count);
        at += 4;
        foreach (var p in tx.Postings)
        {
            at += WriteText(w[at..], p.Account);
            at += WriteText(w[at..], p.Asset);
            BinaryPrimitives.WriteInt128LittleEndian(w[at..], p.Amount);
            at += 16;
        }
        BinaryPrimitives.WriteUInt32LittleEndian(w[at..], (uint)raw.Length);
        raw.CopyTo(w[(at + 4)..]);
        return bytes;
    }

    /// <summary>
    /// The encoding of the record <paramref name="record"/> (whose raw bytes are <paramref name="rawLength"/>
    /// bytes long) with its raw bytes left out, as <see cref="Encode"/> with <c>withRaw: false</c> gives
    /// it: the raw bytes are the record's last field, so it is the record up to them with a zero length.
    /// </summary>
    internal static void WriteWithoutRaw(ReadOnlySpan<byte> record, int rawLength, Span<byte> destination)
    {
        int head = WithoutRawLength(record.Length, rawLength) - 4;
        record[..head].CopyTo(destination);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[head..], 0);
    }

    /// <summary>The length of <see cref="WriteWithoutRaw"/>'s output.</summary>
    internal static int WithoutRawLength(int recordLength, int rawLength) => recordLength - rawLength;

    /// <summary>Decodes a stored record; anything malformed is a <see cref="CorruptionException"/>.</summary>
    internal static LedgerTransaction Decode(ReadOnlySpan<byte> data)
    {
        var r = new SpanReader(data);
        byte version = r.ReadByte();
        if (version != Version) throw new CorruptionException($"ledger record has unknown version {version}");
        byte kind = r.ReadByte();
        if (kind > (byte)LedgerStatusKind.Orphaned) throw new CorruptionException($"ledger record has unknown status {kind}");
        uint depth = r.ReadUInt32();
        long height = (long)r.ReadUInt64();
        uint position = r.ReadUInt32();
        if (depth > int.MaxValue || position > int.MaxValue || height < -1) throw new CorruptionException("ledger record has an out-of-range depth, height or position");
        string chain = ReadText(ref r, LedgerText.MaxChain);
        string txid = ReadText(ref r, LedgerText.MaxTransactionId);
        string hash = ReadText(ref r, LedgerText.MaxBlockHash);
        uint count = r.ReadUInt32();
        if (count > (uint)r.Remaining / 20) throw new CorruptionException("ledger record's posting count exceeds its length");
        var postings = new LedgerPosting[count];
        for (int i = 0; i < postings.Length; i++)
        {
            string account = ReadText(ref r, LedgerText.MaxAccount);
            string asset = ReadText(ref r, LedgerText.MaxAsset);
            postings[i] = new LedgerPosting(account, asset, BinaryPrimitives.ReadInt128LittleEndian(r.Take(16)));
        }
        uint rawLength = r.ReadUInt32();
        if (rawLength != r.Remaining) throw new CorruptionException("ledger record's raw length does not match its size");
        byte[] raw = r.Take((int)rawLength).ToArray();
        var status = new LedgerStatus((LedgerStatusKind)kind, (int)depth);
        if (chain.Length == 0 || txid.Length == 0 || (status.Kind == LedgerStatusKind.Confirmed) != (depth > 0) || (status.InBlock && height < 0))
            throw new CorruptionException("ledger record's fields contradict each other");
        return new LedgerTransaction
        {
            Chain = chain,
            TransactionId = txid,
            BlockHeight = height < 0 ? null : height,
            BlockHash = hash.Length == 0 ? null : hash,
            Position = (int)position,
            RawTransaction = raw,
            Postings = postings,
            Status = status,
        };
    }

    /// <summary>The record's SHA-256 (the fold marker's digest).</summary>
    internal static byte[] Digest(ReadOnlySpan<byte> record) => SHA256.HashData(record);

    /// <summary>The record's SHA-256 written to <paramref name="destination"/> (32 bytes).</summary>
    internal static void Digest(ReadOnlySpan<byte> record, Span<byte> destination) => SHA256.HashData(record, destination);

    /// <summary>Writes <paramref name="text"/> as a 2-byte little-endian length and its UTF-8 bytes; returns the bytes written.</summary>
    private static int WriteText(Span<byte> destination, string text)
    {
        int length = Utf8.Write(text, destination[2..]);
        BinaryPrimitives.WriteUInt16LittleEndian(destination, (ushort)length);
        return 2 + length;
    }

    private static string ReadText(ref SpanReader r, int max)
    {
        int length = BinaryPrimitives.ReadUInt16LittleEndian(r.Take(2));
        if (length > max) throw new CorruptionException($"ledger text field of {length} bytes exceeds its limit of {max}");
        return Utf8.GetString(r.Take(length));
    }
}
