using LatticeKV.Coding;

namespace LatticeKV.Indexing;

/// <summary>
/// Keys of an index family. An entry is <c>escape(indexKey) 00 01 primaryKey</c>, where escape
/// writes each 0x00 as <c>00 FF</c>: entries sort by index key, then primary key, and a prefix
/// (or range bound) of index keys escapes to a prefix (bound) of entry keys. Keys starting
/// <c>00 02</c> (document records of text indexes), <c>00 03</c> (corpus statistics) and <c>00 04</c> (per-term document counts) can never
/// be entries. Persistent format: do not change (FORMAT.md, "Index entry keys").
/// </summary>
internal static class IndexKeyEncoding
{
    private const byte Escape = 0x00;
    private const byte EscapedZero = 0xFF;
    private const byte Terminator = 0x01;
    private const byte DocumentTag = 0x02;
    private const byte StatisticsTag = 0x03;
    private const byte TermCountTag = 0x04;

    /// <summary>The key of the statistics record of a text index.</summary>
    public static ReadOnlySpan<byte> StatisticsKey => [Escape, StatisticsTag];

    public static void WriteEscaped(ByteWriter w, ReadOnlySpan<byte> indexKey)
    {
        foreach (byte b in indexKey)
        {
            w.WriteByte(b);
            if (b == Escape) w.WriteByte(EscapedZero);
        }
    }

    public static byte[] Escaped(ReadOnlySpan<byte> indexKey)
    {
        var w = new ByteWriter(indexKey.Length + 4);
        WriteEscaped(w, indexKey);
        return w.ToArray();
    }

    public static byte[] EntryKey(ReadOnlySpan<byte> indexKey, ReadOnlySpan<byte> primaryKey)
    {
        var w = new ByteWriter(indexKey.Length + primaryKey.Length + 4);
        WriteEscaped(w, indexKey);
        w.WriteByte(Escape);
        w.WriteByte(Terminator);
        w.Write(primaryKey);
        return w.ToArray();
    }

    /// <summary>Every entry of index key <paramref name="indexKey"/> starts with this.</summary>
    public static byte[] ExactPrefix(ReadOnlySpan<byte> indexKey)
    {
        var w = new ByteWriter(indexKey.Length + 4);
        WriteEscaped(w, indexKey);
        w.WriteByte(Escape);
        w.WriteByte(Terminator);
        return w.ToArray();
    }

    /// <summary>Splits an entry key; false for the other records of a family (documents, statistics) and for damage.</summary>
    public static bool TrySplit(ReadOnlySpan<byte> entry, out byte[] indexKey, out ReadOnlySpan<byte> primaryKey)
    {
        Span<byte> buffer = entry.Length <= 256 ? stackalloc byte[256] : new byte[entry.Length];
        if (!TrySplit(entry, buffer, out int length, out primaryKey))
        {
            indexKey = [];
            return false;
        }
        indexKey = buffer[..length].ToArray();
        return true;
    }

    /// <summary>
    /// <see cref="TrySplit(ReadOnlySpan{byte}, out byte[], out ReadOnlySpan{byte})"/> unescaping the
    /// index key into <paramref name="indexKey"/> (at least as long as the entry), for callers that reuse it.
    /// </summary>
    public static bool TrySplit(ReadOnlySpan<byte> entry, scoped Span<byte> indexKey, out int indexKeyLength, out ReadOnlySpan<byte> primaryKey)
    {
        indexKeyLength = 0;
        for (int i = 0; i < entry.Length; i++)
        {
            if (entry[i] != Escape)
            {
                indexKey[indexKeyLength++] = entry[i];
                continue;
            }
            if (i + 1 >= entry.Length) break;
            if (entry[i + 1] == EscapedZero)
            {
                indexKey[indexKeyLength++] = Escape;
                i++;
                continue;
            }
            if (entry[i + 1] != Terminator) break;
            primaryKey = entry[(i + 2)..];
            return true;
        }
        primaryKey = default;
        return false;
    }

    /// <summary>The smallest key greater than every key starting with <paramref name="prefix"/>, or null when there is none.</summary>
    public static byte[]? PrefixEnd(ReadOnlySpan<byte> prefix)
    {
        int i = prefix.Length - 1;
        while (i >= 0 && prefix[i] == 0xFF) i--;
        if (i < 0) return null;
        var end = prefix[..(i + 1)].ToArray();
        end[i]++;
        return end;
    }

    public static byte[] DocumentKey(ReadOnlySpan<byte> primaryKey)
    {
        var key = new byte[primaryKey.Length + 2];
        key[0] = Escape;
        key[1] = DocumentTag;
        primaryKey.CopyTo(key.AsSpan(2));
        return key;
    }

    public static bool IsDocumentKey(ReadOnlySpan<byte> key) => key.Length >= 2 && key[0] == Escape && key[1] == DocumentTag;

    /// <summary>The key of the record counting the documents that hold <paramref name="term"/>.</summary>
    public static byte[] TermCountKey(ReadOnlySpan<byte> term)
    {
        var key = new byte[term.Length + 2];
        key[0] = Escape;
        key[1] = TermCountTag;
        term.CopyTo(key.AsSpan(2));
        return key;
    }
}
