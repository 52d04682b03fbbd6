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

    internal override void Describe(ByteWriter w)
    {
        w.WriteByte((byte)ExtractorKind.Composite);
        w.WriteVarint((ulong)parts.Length);
        foreach (var p in parts) p.Describe(w);
    }

    internal override string? CustomName => parts.Select(p => p.CustomName).FirstOrDefault(n => n is not null);

    public override string ToString() => $"composite({string.Join(", ", parts.Select(p => p.ToString()))})";
}
