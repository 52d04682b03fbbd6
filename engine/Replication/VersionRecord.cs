using System.Buffers.Binary;

namespace LatticeKV.Replication;

/// <summary>
/// The value of a key's version record (FORMAT.md §15.2): the head of its last change, then the
/// base: the clock reading, origin and origin sequence of its last put or delete (the version
/// merge operands apply on; a merge concurrent with the base is discarded).
/// <code>
/// head (ChangeHeader, 35 bytes) | base_timestamp:u64 | base_origin:16 bytes | base_sequence:u64
/// </code>
/// A local put or delete gets its base stamped with its own values; a local merge's base is
/// found by the leader (the key's current base), so both reflect commit order. After a conflict
/// settled by a resolver that keeps or combines values, the record also lists the frontier: the
/// concurrent puts and deletes the value was made from (at least two; the base is the one that
/// wins by clock), whose values and contexts are kept in the conflicts family; a base applied
/// from a peer also keeps its causal context (so a change it had seen, arriving late by another
/// path, is known to be older, not concurrent):
/// <code>
/// [tail: frontier count:varint32, count x (timestamp:u64, origin:16 bytes, sequence:u64), base context (version vector)]
/// </code>
/// </summary>
internal static class VersionRecord
{
    public const int Size = ChangeHeader.Size + BaseSize;
    public const int BaseOffset = ChangeHeader.Size;
    private const int BaseSize = 32;

    public static void WriteBase(Span<byte> record, Dot dot) => WriteDot(record[BaseOffset..], dot);

    public static Dot BaseOf(ReadOnlySpan<byte> record)
    {
        var b = record[BaseOffset..];
        return new Dot(new Guid(b.Slice(8, 16)), BinaryPrimitives.ReadUInt64LittleEndian(b[24..]), BinaryPrimitives.ReadUInt64LittleEndian(b));
    }

    /// <summary>Checks a stored record's size; a record of another size is a <see cref="CorruptionException"/>.</summary>
    public static ReadOnlySpan<byte> Checked(ReadOnlySpan<byte> record)
    {
        if (record.Length < Size || record[0] != ChangeHeader.Format) throw new CorruptionException($"key version record of {record.Length} bytes (expected at least {Size})");
        if (record.Length > Size) Frontier(record);
        return record;
    }

    /// <summary>The frontier a record lists (empty when it lists none: its base alone is the key's value).</summary>
    public static List<Dot> Frontier(ReadOnlySpan<byte> record) => ReadTail(record, out _);

    /// <summary>The base's causal context: empty for a local base (a local write had seen everything this replica held).</summary>
    public static VersionVector BaseContext(ReadOnlySpan<byte> record)
    {
        ReadTail(record, out var context);
        return context;
    }

    private static List<Dot> ReadTail(ReadOnlySpan<byte> record, out VersionVector context)
    {
        var list = new List<Dot>();
        context = new VersionVector();
        if (record.Length <= Size) return list;
        var r = new Coding.SpanReader(record[Size..]);
        int count = r.ReadVarintInt(1 << 16);
        for (int i = 0; i < count; i++)
        {
            var b = r.Take(BaseSize);
            list.Add(new Dot(new Guid(b.Slice(8, 16)), BinaryPrimitives.ReadUInt64LittleEndian(b[24..]), BinaryPrimitives.ReadUInt64LittleEndian(b)));
        }
        context = VersionVector.Read(ref r);
        if (!r.IsEmpty) throw new CorruptionException("bytes after a key version record's tail");
        return list;
    }

    /// <summary>
    /// A record of <paramref name="head"/> (a change's head) with <paramref name="baseDot"/>, the
    /// base's context (null: a local base) and, when it has two or more members, <paramref name="frontier"/>.
    /// </summary>
    public static byte[] Build(ReadOnlySpan<byte> head, Dot baseDot, IReadOnlyList<Dot> frontier, VersionVector? baseContext)
    {
        // Built in a reused buffer, then copied out once: one allocation per record (the applier makes one per change).
        var w = t_scratch ??= new Coding.ByteWriter(256);
        w.Clear();
        w.Write(head[..ChangeHeader.Size]);
        Span<byte> dot = stackalloc byte[BaseSize];
        WriteDot(dot, baseDot);
        w.Write(dot);
        if (frontier.Count < 2 && baseContext is null) return w.ToArray();
        w.WriteVarint(frontier.Count >= 2 ? (uint)frontier.Count : 0);
        if (frontier.Count >= 2)
        {
            foreach (var f in frontier)
            {
                WriteDot(dot, f);
                w.Write(dot);
            }
        }
        (baseContext ?? new VersionVector()).Encode(w);
        return w.ToArray();
    }

    [ThreadStatic] private static Coding.ByteWriter? t_scratch;

    private static void WriteDot(Span<byte> b, Dot dot)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(b, dot.Timestamp);
        dot.Origin.TryWriteBytes(b[8..]);
        BinaryPrimitives.WriteUInt64LittleEndian(b[24..], dot.Sequence);
    }
}
