using System.Buffers;
using LatticeKV.Coding;

namespace LatticeKV.Indexing;

/// <summary>
/// Several extractors' keys joined as <see cref="IndexKeys.Composite"/> does (each part but the
/// last escaped and terminated), so entries sort by the first part, then the next. Parts with
/// several keys give every combination; an entry missing a part yields nothing.
/// </summary>
internal sealed class CompositeExtractor(IndexExtractor[] parts) : IndexExtractor
{
    private const int MaxCombinations = 1024;

    public IReadOnlyList<IndexExtractor> Parts => parts;

    internal override bool ReadsKeyOnly => parts.All(p => p.ReadsKeyOnly);

    internal override void Extract(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ExtractedKeys output)
    {
        List<byte[]> prefixes = [[]];
        for (int i = 0; i < parts.Length; i++)
        {
            var keys = new ExtractedKeys();
            parts[i].Extract(key, value, keys);
            if (keys.Count == 0) return;
            var next = new List<byte[]>();
            foreach (var prefix in prefixes)
            {
                foreach (var part in keys.Keys)
                {
                    var w = new ByteWriter(prefix.Length + part.Length + 4);
                    w.Write(prefix);
                    if (i < parts.Length - 1) IndexKeys.WritePart(w, part);
                    else w.Write(part);
                    next.Add(w.ToArray());
                    if (next.Count > MaxCombinations) throw new InvalidArgumentException($"A composite index key has more than {MaxCombinations} combinations.", nameof(value));
                }
            }
            prefixes = next;
        }
        foreach (var k in prefixes) output.Add(k);
    }

    /// <summary>
    /// Splits <paramref name="indexKey"/> into its parts and asks each part whether it yields its
    /// own: the same answer as extracting every combination, without building any of them.
    /// </summary>
    internal override bool Yields(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ReadOnlySpan<byte> indexKey, ExtractedKeys scratch)
    {
        byte[]? rented = null;
        Span<byte> part = indexKey.Length <= 256 ? stackalloc byte[256] : (rented = ArrayPool<byte>.Shared.Rent(indexKey.Length));
        try
        {
            var rest = indexKey;
            for (int i = 0; i < parts.Length - 1; i++)
            {
                if (!TakePart(ref rest, part, out int length) || !parts[i].Yields(key, value, part[..length], scratch)) return false;
            }
            return parts[^1].Yields(key, value, rest, scratch);
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Unescapes the leading part of <paramref name="rest"/> (written by <see cref="IndexKeys.WritePart"/>) and moves past it.</summary>
    private static bool TakePart(ref ReadOnlySpan<byte> rest, scoped Span<byte> part, out int length)
    {
        length = 0;
        for (int i = 0; i + 1 < rest.Length; i++)
        {
            if (rest[i] != 0x00)
            {
                part[length++] = rest[i];
                continue;
            }
            if (rest[i + 1] == 0xFF)
            {
                part[length++] = 0x00;
                i++;
                continue;
            }
            if (rest[i + 1] != 0x01) return false;
            rest = rest[(i + 2)..];
            return true;
        }
        return false;
    }

    internal override void Describe(ByteWriter w)
    {
        w.WriteByte((byte)ExtractorKind.Composite);
        w.WriteVarint((ulong)parts.Length);
        foreach (var p in parts) p.Describe(w);
    }

    internal override string? CustomName => parts.Select(p => p.CustomName).FirstOrDefault(n => n is not null);

    public override string ToString() => $"composite({string.Join(", ", parts.Select(p => p.ToString()))})";
}
