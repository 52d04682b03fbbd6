using System.Buffers.Binary;
using System.Text;

namespace LatticeKV.Migrations;

/// <summary>
/// Encodes the migration-state record (FORMAT.md §18.3): format byte 1, phase (1 byte), pass
/// (4 LE), entries done (8 LE), step name length (2 LE) and UTF-8 bytes, position flag (1 byte),
/// then the position's length (4 LE) and bytes when the flag is 1. Persistent format: do not change.
/// </summary>
internal static class MigrationStateCodec
{
    private const byte Format = 1;

    public static byte[] Encode(MigrationProgress state)
    {
        int nameLength = Encoding.UTF8.GetByteCount(state.StepName);
        int size = 1 + 1 + 4 + 8 + 2 + nameLength + 1 + (state.Position is { } p ? 4 + p.Length : 0);
        var b = new byte[size];
        b[0] = Format;
        b[1] = (byte)state.Phase;
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(2), state.Pass);
        BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(6), state.EntriesDone);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(14), (ushort)nameLength);
        Encoding.UTF8.GetBytes(state.StepName, b.AsSpan(16));
        int at = 16 + nameLength;
        if (state.Position is { } position)
        {
            b[at] = 1;
            BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(at + 1), position.Length);
            position.CopyTo(b.AsSpan(at + 5));
        }
        return b;
    }

    public static MigrationProgress Decode(ReadOnlySpan<byte> b)
    {
        if (b.Length < 17 || b[0] != Format || b[1] is < (byte)MigrationPhase.Apply or > (byte)MigrationPhase.Finish) throw Malformed();
        int pass = BinaryPrimitives.ReadInt32LittleEndian(b[2..]);
        long done = BinaryPrimitives.ReadInt64LittleEndian(b[6..]);
        int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(b[14..]);
        if (pass < 0 || done < 0 || b.Length < 17 + nameLength) throw Malformed();
        string name = Encoding.UTF8.GetString(b.Slice(16, nameLength));
        int at = 16 + nameLength;
        byte[]? position = null;
        if (b[at] == 1)
        {
            if (b.Length < at + 5) throw Malformed();
            int length = BinaryPrimitives.ReadInt32LittleEndian(b[(at + 1)..]);
            if (length < 0 || b.Length != at + 5 + length) throw Malformed();
            position = b.Slice(at + 5, length).ToArray();
        }
        else if (b[at] != 0 || b.Length != at + 1) throw Malformed();
        return new MigrationProgress(name, (MigrationPhase)b[1], pass, position, done);
    }

    private static CorruptionException Malformed() => new("migration state record is malformed");
}
