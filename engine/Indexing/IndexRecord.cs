using LatticeKV.Coding;

namespace LatticeKV.Indexing;

/// <summary>
/// An index's record in the catalog family (<see cref="IndexFamilies.CatalogName"/>), keyed by
/// its name: its definition, state and backfill cursor (the last primary key the build has
/// indexed; null before the first batch). Written in the same batch as the entries it accounts
/// for, so a build resumes exactly where its last batch ended.
/// </summary>
/// <remarks>
/// Persistent format (FORMAT.md, "Index definitions"): version byte (1 or 2), state byte
/// (<see cref="IndexState"/>), flags byte (bit 0 unique, bit 1 cursor present), varint primary
/// family id, varint backfill rate (0: unlimited), extractor description, then the cursor
/// length-prefixed when present. Nothing may follow. Version 2 (every index created since) says a
/// text index keeps per-term document counts and postings carrying the document length
/// (FORMAT.md §14); a version 1 text index lacks both and is searched the old way, by document records.
/// </remarks>
internal sealed record IndexRecord(string Name, uint PrimaryFamilyId, IndexState State, bool Unique, int? Rate, IndexExtractor Extractor, byte[]? Cursor, byte Version = IndexRecord.FormatVersion)
{
    public const byte FormatVersion = 2;
    private const byte FirstVersion = 1;
    private const byte UniqueFlag = 1;
    private const byte CursorFlag = 2;

    public byte[] Encode()
    {
        var w = new ByteWriter();
        w.WriteByte(Version);
        w.WriteByte((byte)State);
        w.WriteByte((byte)((Unique ? UniqueFlag : 0) | (Cursor is not null ? CursorFlag : 0)));
        w.WriteVarint(PrimaryFamilyId);
        w.WriteVarint((ulong)(Rate ?? 0));
        Extractor.Describe(w);
        if (Cursor is not null) w.WriteLengthPrefixed(Cursor);
        return w.ToArray();
    }

    /// <summary>Decodes a stored record; anything malformed is a <see cref="CorruptionException"/> naming the index.</summary>
    public static IndexRecord Decode(string name, ReadOnlySpan<byte> data, IReadOnlyDictionary<string, IndexExtractor> supplied)
    {
        try
        {
            var r = new SpanReader(data);
            byte version = r.ReadByte();
            if (version is < FirstVersion or > FormatVersion) throw new CorruptionException($"index definition format {version} is not supported (this build reads {FirstVersion} to {FormatVersion})");
            var state = (IndexState)r.ReadByte();
            if (!Enum.IsDefined(state)) throw new CorruptionException($"unknown index state {(byte)state}");
            byte flags = r.ReadByte();
            if ((flags & ~(UniqueFlag | CursorFlag)) != 0) throw new CorruptionException($"unknown index flags {flags}");
            uint family = r.ReadVarint32();
            int rate = r.ReadVarintInt();
            var extractor = ExtractorCodec.Decode(ref r, supplied);
            byte[]? cursor = (flags & CursorFlag) != 0 ? r.ReadLengthPrefixed().ToArray() : null;
            if (!r.IsEmpty) throw new CorruptionException($"{r.Remaining} unexpected bytes after the index definition");
            bool unique = (flags & UniqueFlag) != 0;
            if (unique && extractor.IsText) throw new CorruptionException("a text index stored as unique");
            return new IndexRecord(name, family, state, unique, rate == 0 ? null : rate, extractor, cursor, version);
        }
        catch (CorruptionException ex)
        {
            throw new CorruptionException($"definition of index '{name}' is damaged: {ex.Reason}", ex.FilePath, ex.Offset, ex);
        }
    }

    /// <summary>A text index that keeps per-term document counts and lengths in its postings.</summary>
    public bool HasTermCounts => Extractor.IsText && Version >= 2;
}
