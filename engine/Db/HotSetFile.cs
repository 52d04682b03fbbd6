using System.Buffers.Binary;
using LatticeKV.Coding;
using LatticeKV.Io;

namespace LatticeKV.Db;

/// <summary>A data block's position: which table, where, how long (never its contents).</summary>
internal readonly record struct HotBlock(long FileNumber, long Offset, long Size);

/// <summary>
/// The <c>HOTSET</c> file (FORMAT.md §20.3, "HOTSET"): the positions of the blocks the block cache held
/// as frequently used, for preload after the next open. Optional and advisory: a missing,
/// damaged or stale one only means a colder start. Persistent format: do not change.
/// <code>
/// magic u32 | version u32 | count u32 | count × (file u64 | offset u64 | size u32) | masked crc32c u32
/// </code>
/// </summary>
internal static class HotSetFile
{
    public const string Name = FileNames.HotSet;
    public const uint Magic = 0x544F484C; // "LHOT" little-endian; persistent format: do not change
    public const uint Version = 1;
    public const int HeaderSize = 12;
    public const int EntrySize = 20;
    public const int MaxEntries = 1 << 20;

    public static string PathIn(string db) => Path.Combine(db, Name);

    public static byte[] Encode(IReadOnlyList<HotBlock> blocks)
    {
        int count = Math.Min(blocks.Count, MaxEntries);
        var bytes = new byte[HeaderSize + count * EntrySize + 4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), Version);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), (uint)count);
        for (int i = 0; i < count; i++)
        {
            var at = bytes.AsSpan(HeaderSize + i * EntrySize);
            BinaryPrimitives.WriteUInt64LittleEndian(at, (ulong)blocks[i].FileNumber);
            BinaryPrimitives.WriteUInt64LittleEndian(at[8..], (ulong)blocks[i].Offset);
            BinaryPrimitives.WriteUInt32LittleEndian(at[16..], (uint)blocks[i].Size);
        }
        int body = bytes.Length - 4;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(body), Crc32C.Mask(Crc32C.Compute(bytes.AsSpan(0, body))));
        return bytes;
    }

    /// <summary>The positions in <paramref name="bytes"/>; <see cref="CorruptionException"/> naming <paramref name="path"/> when they are damaged.</summary>
    public static List<HotBlock> Decode(ReadOnlySpan<byte> bytes, string path)
    {
        if (bytes.Length < HeaderSize + 4) throw new CorruptionException($"hot set of {bytes.Length} bytes is too short", path, 0);
        if (BinaryPrimitives.ReadUInt32LittleEndian(bytes) != Magic) throw new CorruptionException("not a hot set file (bad magic)", path, 0);
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(bytes[4..]);
        if (version != Version) throw new CorruptionException($"hot set version {version} is not supported", path, 4);
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]);
        if (count > MaxEntries || bytes.Length != HeaderSize + (long)count * EntrySize + 4)
            throw new CorruptionException($"hot set claims {count} entries but holds {bytes.Length} bytes", path, 8);
        int body = bytes.Length - 4;
        if (Crc32C.Unmask(BinaryPrimitives.ReadUInt32LittleEndian(bytes[body..])) != Crc32C.Compute(bytes[..body]))
            throw new CorruptionException("hot set checksum mismatch", path, body);
        var blocks = new List<HotBlock>((int)count);
        for (int i = 0; i < count; i++)
        {
            var at = bytes[(HeaderSize + i * EntrySize)..];
            ulong file = BinaryPrimitives.ReadUInt64LittleEndian(at);
            ulong offset = BinaryPrimitives.ReadUInt64LittleEndian(at[8..]);
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(at[16..]);
            if (file > long.MaxValue || offset > long.MaxValue) throw new CorruptionException($"hot set entry {i} is out of range", path, HeaderSize + i * EntrySize);
            blocks.Add(new HotBlock((long)file, (long)offset, size));
        }
        return blocks;
    }

    /// <summary>The recorded positions, or null when there is no file.</summary>
    public static List<HotBlock>? Read(IFileSystem fs, string db)
    {
        string path = PathIn(db);
        if (!fs.FileExists(path)) return null;
        using var file = fs.OpenRead(path);
        long length = file.Length;
        if (length > HeaderSize + (long)MaxEntries * EntrySize + 4) throw new CorruptionException($"hot set of {length} bytes is too long", path, 0);
        var bytes = new byte[length];
        int read = file.ReadExactly(0, bytes);
        return Decode(bytes.AsSpan(0, read), path);
    }

    public static void Write(IFileSystem fs, string db, IReadOnlyList<HotBlock> blocks) => fs.ReplaceDurably(PathIn(db), Encode(blocks));
}
