using LatticeKV.Coding;
using LatticeKV.Indexing;

namespace LatticeKV.Integrity;

/// <summary>
/// A foreign key's record in <see cref="ForeignKeyFamilies.CatalogName"/>, keyed by its name.
/// </summary>
/// <remarks>
/// Persistent format (FORMAT.md §18.2): version byte (1), state byte (<see cref="ForeignKeyState"/>),
/// action byte (<see cref="ForeignKeyAction"/>), varint child family id, varint parent family id,
/// then the parent key extractor described as an index's is (FORMAT.md, "Index definitions").
/// Nothing may follow.
/// </remarks>
internal sealed record ForeignKeyRecord(string Name, ForeignKeyState State, ForeignKeyAction OnDelete, uint ChildFamilyId, uint ParentFamilyId, IndexExtractor Extractor)
{
    public const byte FormatVersion = 1;

    public byte[] Encode()
    {
        var w = new ByteWriter();
        w.WriteByte(FormatVersion);
        w.WriteByte((byte)State);
        w.WriteByte((byte)OnDelete);
        w.WriteVarint(ChildFamilyId);
        w.WriteVarint(ParentFamilyId);
        Extractor.Describe(w);
        return w.ToArray();
    }

    /// <summary>Decodes a stored record; anything malformed is a <see cref="CorruptionException"/> naming the foreign key.</summary>
    public static ForeignKeyRecord Decode(string name, ReadOnlySpan<byte> data, IReadOnlyDictionary<string, IndexExtractor> supplied)
    {
        try
        {
            var r = new SpanReader(data);
            byte version = r.ReadByte();
            if (version != FormatVersion) throw new CorruptionException($"foreign key format {version} is not supported (this build reads {FormatVersion})");
            var state = (ForeignKeyState)r.ReadByte();
            if (!Enum.IsDefined(state)) throw new CorruptionException($"unknown foreign key state {(byte)state}");
            var action = (ForeignKeyAction)r.ReadByte();
            if (!Enum.IsDefined(action)) throw new CorruptionException($"unknown foreign key action {(byte)action}");
            uint child = r.ReadVarint32();
            uint parent = r.ReadVarint32();
            var extractor = ExtractorCodec.Decode(ref r, supplied);
            if (extractor.IsText) throw new CorruptionException("a text extractor stored as a parent key");
            if (!r.IsEmpty) throw new CorruptionException($"{r.Remaining} unexpected bytes after the foreign key");
            return new ForeignKeyRecord(name, state, action, child, parent, extractor);
        }
        catch (CorruptionException ex)
        {
            throw new CorruptionException($"definition of foreign key '{name}' is damaged: {ex.Reason}", ex.FilePath, ex.Offset, ex);
        }
    }
}
