using LatticeKV.Coding;

namespace LatticeKV.Sst;

/// <summary>
/// Facts about one table, stored in its properties block as a sorted key/value block whose
/// keys are the names below (FORMAT.md, "Properties block"). Numbers are varint64; keys are
/// raw bytes; strings are UTF-8. Unknown names are ignored by readers, so properties can be
/// added without a format version change.
/// </summary>
internal sealed class TableProperties
{
    public long NumEntries { get; set; }
    public long NumDeletions { get; set; }
    public long NumRangeDeletions { get; set; }
    public long NumDataBlocks { get; set; }
    public long RawKeySize { get; set; }
    public long RawValueSize { get; set; }
    /// <summary>Bytes of data blocks as stored (after compression, with trailers).</summary>
    public long DataSize { get; set; }
    /// <summary>Bytes of data blocks before compression.</summary>
    public long UncompressedDataSize { get; set; }
    public long IndexSize { get; set; }
    public long FilterSize { get; set; }
    public long FileSize { get; set; }
    public ulong SmallestSequence { get; set; }
    public ulong LargestSequence { get; set; }
    public byte[] SmallestKey { get; set; } = [];
    public byte[] LargestKey { get; set; } = [];
    public long CreationTimeMs { get; set; }
    public uint ColumnFamilyId { get; set; }
    public string ColumnFamilyName { get; set; } = "";
    public string Compression { get; set; } = "";
    public string Comparator { get; set; } = "";
    public int BloomBitsPerKey { get; set; }

    private static readonly string[] s_numberNames =
    [
        "lattice.bloom.bits.per.key", "lattice.column.family.id", "lattice.creation.time", "lattice.data.size",
        "lattice.filter.size", "lattice.index.size", "lattice.largest.seq", "lattice.num.data.blocks",
        "lattice.num.deletions", "lattice.num.entries", "lattice.num.range.deletions", "lattice.raw.key.size",
        "lattice.raw.value.size", "lattice.smallest.seq", "lattice.uncompressed.data.size",
    ];

    public byte[] Encode()
    {
        var entries = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        void Num(string name, ulong v)
        {
            var w = new ByteWriter(10);
            w.WriteVarint(v);
            entries[name] = w.ToArray();
        }
        Num("lattice.bloom.bits.per.key", (ulong)BloomBitsPerKey);
        Num("lattice.column.family.id", ColumnFamilyId);
        Num("lattice.creation.time", (ulong)CreationTimeMs);
        Num("lattice.data.size", (ulong)DataSize);
        Num("lattice.filter.size", (ulong)FilterSize);
        Num("lattice.index.size", (ulong)IndexSize);
        Num("lattice.largest.seq", LargestSequence);
        Num("lattice.num.data.blocks", (ulong)NumDataBlocks);
        Num("lattice.num.deletions", (ulong)NumDeletions);
        Num("lattice.num.entries", (ulong)NumEntries);
        Num("lattice.num.range.deletions", (ulong)NumRangeDeletions);
        Num("lattice.raw.key.size", (ulong)RawKeySize);
        Num("lattice.raw.value.size", (ulong)RawValueSize);
        Num("lattice.smallest.seq", SmallestSequence);
        Num("lattice.uncompressed.data.size", (ulong)UncompressedDataSize);
        entries["lattice.column.family.name"] = Utf8.GetBytes(ColumnFamilyName);
        entries["lattice.comparator"] = Utf8.GetBytes(Comparator);
        entries["lattice.compression"] = Utf8.GetBytes(Compression);
        entries["lattice.largest.key"] = LargestKey;
        entries["lattice.smallest.key"] = SmallestKey;
        var builder = new BlockBuilder(1);
        foreach (var (name, value) in entries) builder.Add(Utf8.GetBytes(name), value);
        return builder.Finish().ToArray();
    }

    public static TableProperties Decode(Block block)
    {
        var p = new TableProperties();
        var it = new BlockIterator(SpanComparer.Bytewise);
        it.Reset(block);
        for (it.SeekToFirst(); it.Valid; it.Next())
        {
            string name = Utf8.GetString(it.Key);
            var value = it.Value;
            if (Array.IndexOf(s_numberNames, name) >= 0)
            {
                var r = new SpanReader(value);
                ulong v = r.ReadVarint();
                switch (name)
                {
                    case "lattice.bloom.bits.per.key": p.BloomBitsPerKey = (int)Math.Min(v, int.MaxValue); break;
                    case "lattice.column.family.id": p.ColumnFamilyId = (uint)Math.Min(v, uint.MaxValue); break;
                    case "lattice.creation.time": p.CreationTimeMs = (long)v; break;
                    case "lattice.data.size": p.DataSize = (long)v; break;
                    case "lattice.filter.size": p.FilterSize = (long)v; break;
                    case "lattice.index.size": p.IndexSize = (long)v; break;
                    case "lattice.largest.seq": p.LargestSequence = v; break;
                    case "lattice.num.data.blocks": p.NumDataBlocks = (long)v; break;
                    case "lattice.num.deletions": p.NumDeletions = (long)v; break;
                    case "lattice.num.entries": p.NumEntries = (long)v; break;
                    case "lattice.num.range.deletions": p.NumRangeDeletions = (long)v; break;
                    case "lattice.raw.key.size": p.RawKeySize = (long)v; break;
                    case "lattice.raw.value.size": p.RawValueSize = (long)v; break;
                    case "lattice.smallest.seq": p.SmallestSequence = v; break;
                    case "lattice.uncompressed.data.size": p.UncompressedDataSize = (long)v; break;
                }
                continue;
            }
            switch (name)
            {
                case "lattice.column.family.name": p.ColumnFamilyName = Utf8.GetString(value); break;
                case "lattice.comparator": p.Comparator = Utf8.GetString(value); break;
                case "lattice.compression": p.Compression = Utf8.GetString(value); break;
                case "lattice.largest.key": p.LargestKey = value.ToArray(); break;
                case "lattice.smallest.key": p.SmallestKey = value.ToArray(); break;
            }
        }
        return p;
    }
}
