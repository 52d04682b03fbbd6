using System.Buffers.Binary;
using LatticeKV.Coding;

namespace LatticeKV.Ledger;

/// <summary>
/// Keys of the ledger's families (FORMAT.md §22.1). Identifiers are written as a 2-byte
/// big-endian length and their UTF-8 bytes, so a prefix of one identifier never matches another;
/// heights and orders are 8-byte big-endian so keys sort in chain order. Persistent format: do not change.
/// </summary>
internal static class LedgerKeys
{
    /// <summary>First byte of a chain-order index entry. Persistent format.</summary>
    internal const byte ChainOrder = 0x01;

    /// <summary>First byte of an account-order index entry. Persistent format.</summary>
    internal const byte AccountOrder = 0x02;

    /// <summary>The height slot of transactions not in a block: after every real height.</summary>
    internal const ulong NoHeight = ulong.MaxValue;

    internal static readonly byte[] FormatKey = "format"u8.ToArray();
    internal static readonly byte[] ArrivalKey = "arrival"u8.ToArray();
    internal static readonly byte[] CursorKey = "cursor"u8.ToArray();
    private static readonly byte[] TipPrefix = "tip/"u8.ToArray();
    internal static readonly byte[] EvidencePrefix = "evidence/"u8.ToArray();
    internal static readonly byte[] NetworkFailurePrefix = "netfail/"u8.ToArray();

    /// <summary>Key of a transaction's stored network evidence (<c>ledger.meta</c>, FORMAT.md §22.4).</summary>
    internal static byte[] Evidence(string chain, string transactionId) => Build(EvidencePrefix, [chain, transactionId], []);

    /// <summary>Key of the reason a transaction failed verification against the network (<c>ledger.meta</c>).</summary>
    internal static byte[] NetworkFailure(string chain, string transactionId) => Build(NetworkFailurePrefix, [chain, transactionId], []);

    /// <summary>Key of a transaction's record (<c>ledger.tx</c>) and fold marker (<c>ledger.folded</c>).</summary>
    internal static byte[] Transaction(string chain, string transactionId) => Build([], [chain, transactionId], []);

    /// <summary>Key of a balance (<c>ledger.balances</c>).</summary>
    internal static byte[] Balance(string chain, string account, string asset) => Build([], [chain, account, asset], []);

    /// <summary>Key of a chain's tip height (<c>ledger.meta</c>).</summary>
    internal static byte[] Tip(string chain) => Build(TipPrefix, [chain], []);

    /// <summary>The chain-order entry of a transaction placed at (<paramref name="height"/>, <paramref name="order"/>).</summary>
    internal static byte[] ChainEntry(string chain, ulong height, ulong order, string transactionId)
        => Build([ChainOrder], [chain], Place(height, order, transactionId));

    /// <summary>The account-order entry of a transaction placed at (<paramref name="height"/>, <paramref name="order"/>).</summary>
    internal static byte[] AccountEntry(string chain, string account, ulong height, ulong order, string transactionId)
        => Build([AccountOrder], [chain, account], Place(height, order, transactionId));

    /// <summary>Every chain-order entry of <paramref name="chain"/> starts with this.</summary>
    internal static byte[] ChainPrefix(string chain) => Build([ChainOrder], [chain], []);

    /// <summary>Every account-order entry of <paramref name="account"/> on <paramref name="chain"/> starts with this.</summary>
    internal static byte[] AccountPrefix(string chain, string account) => Build([AccountOrder], [chain, account], []);

    /// <summary>The chain-order entries of <paramref name="chain"/> from <paramref name="height"/> on start at this key.</summary>
    internal static byte[] ChainFrom(string chain, ulong height)
    {
        var prefix = ChainPrefix(chain);
        var key = new byte[prefix.Length + 8];
        prefix.CopyTo(key, 0);
        BinaryPrimitives.WriteUInt64BigEndian(key.AsSpan(prefix.Length), height);
        return key;
    }

    /// <summary>The first key after every key starting with <paramref name="prefix"/> (prefixes here never end in 0xFF bytes only).</summary>
    internal static byte[] PrefixEnd(byte[] prefix)
    {
        var end = (byte[])prefix.Clone();
        for (int i = end.Length - 1; i >= 0; i--)
        {
            if (end[i] != 0xFF)
            {
                end[i]++;
                return end[..(i + 1)];
            }
        }
        throw new InvalidOperationException("a key prefix of 0xFF bytes only has no end");
    }

    /// <summary>The index placement (height slot, order, transaction id) at the end of an index entry whose prefix is <paramref name="prefixLength"/> bytes.</summary>
    internal static (ulong Height, ulong Order, string TransactionId) ReadPlace(ReadOnlySpan<byte> key, int prefixLength)
    {
        var r = new SpanReader(key[prefixLength..]);
        ulong height = BinaryPrimitives.ReadUInt64BigEndian(r.Take(8));
        ulong order = BinaryPrimitives.ReadUInt64BigEndian(r.Take(8));
        string txid = ReadText(ref r);
        if (!r.IsEmpty) throw new CorruptionException("ledger index entry has trailing bytes");
        return (height, order, txid);
    }

    /// <summary>
    /// The chain and transaction an index entry (chain-order or account-order) names; the entry is
    /// one of that transaction's only if it equals one rebuilt from its record.
    /// </summary>
    /// <exception cref="CorruptionException">The entry is not of either layout.</exception>
    internal static (string Chain, string TransactionId) ReadEntryId(ReadOnlySpan<byte> entry)
    {
        var r = new SpanReader(entry);
        byte kind = r.ReadByte();
        if (kind is not (ChainOrder or AccountOrder)) throw new CorruptionException($"ledger index entry has unknown kind {kind}");
        string chain = ReadText(ref r);
        if (kind == AccountOrder) ReadText(ref r);
        var (_, _, txid) = ReadPlace(entry, r.Position);
        return (chain, txid);
    }

    /// <summary>Splits a key made of <paramref name="count"/> identifiers (transaction and balance keys).</summary>
    internal static string[] ReadTexts(ReadOnlySpan<byte> key, int count)
    {
        var r = new SpanReader(key);
        var parts = new string[count];
        for (int i = 0; i < count; i++) parts[i] = ReadText(ref r);
        if (!r.IsEmpty) throw new CorruptionException("ledger key has trailing bytes");
        return parts;
    }

    private static byte[] Place(ulong height, ulong order, string transactionId)
    {
        var tail = new byte[16 + 2 + Utf8.GetByteCount(transactionId)];
        BinaryPrimitives.WriteUInt64BigEndian(tail, height);
        BinaryPrimitives.WriteUInt64BigEndian(tail.AsSpan(8), order);
        WriteText(tail.AsSpan(16), transactionId);
        return tail;
    }

    // Sized exactly and written in place: the fold builds several keys per transaction.
    private static byte[] Build(ReadOnlySpan<byte> head, ReadOnlySpan<string> texts, ReadOnlySpan<byte> tail)
    {
        int size = head.Length + tail.Length;
        foreach (var text in texts) size += 2 + Utf8.GetByteCount(text);
        var key = new byte[size];
        head.CopyTo(key);
        int at = head.Length;
        foreach (var text in texts) at += WriteText(key.AsSpan(at), text);
        tail.CopyTo(key.AsSpan(at));
        return key;
    }

    /// <summary>Writes <paramref name="text"/> as a 2-byte big-endian length and its UTF-8 bytes; returns the bytes written.</summary>
    private static int WriteText(Span<byte> destination, string text)
    {
        int length = Utf8.Write(text, destination[2..]);
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)length);
        return 2 + length;
    }

    private static string ReadText(ref SpanReader r)
    {
        int length = BinaryPrimitives.ReadUInt16BigEndian(r.Take(2));
        return Utf8.GetString(r.Take(length));
    }
}
