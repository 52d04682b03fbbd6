using System.Buffers;
using System.Text.Json;
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

    // Parts past this many are checked one at a time (the single pass keeps a bit per part).
    private const int MaxSinglePassParts = 16;

    // The property names when every part is a property of the top-level JSON object
    // (composite(json $.account, json $.order)), so one pass over the value checks them all;
    // otherwise null.
    private readonly byte[][]? _topLevelNames = TopLevelNames(parts);

    private static byte[][]? TopLevelNames(IndexExtractor[] parts)
    {
        if (parts.Length is < 2 or > MaxSinglePassParts) return null;
        var names = new byte[parts.Length][];
        for (int i = 0; i < parts.Length; i++)
        {
            if (parts[i] is not JsonFieldExtractor { Path.TopLevelName: { } name }) return null;
            names[i] = name;
        }
        return names;
    }

    /// <summary>
    /// Splits <paramref name="indexKey"/> into its parts and asks each part whether it yields its
    /// own: the same answer as extracting every combination, without building any of them.
    /// </summary>
    internal override bool Yields(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ReadOnlySpan<byte> indexKey, ExtractedKeys scratch)
    {
        byte[]? rented = null;
        Span<byte> buffer = indexKey.Length <= 256 ? stackalloc byte[256] : (rented = ArrayPool<byte>.Shared.Rent(indexKey.Length));
        try
        {
            return _topLevelNames is { } names
                ? YieldsInOnePass(value, indexKey, names, buffer)
                : YieldsPartByPart(key, value, indexKey, scratch, buffer);
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private bool YieldsPartByPart(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ReadOnlySpan<byte> indexKey, ExtractedKeys scratch, Span<byte> part)
    {
        var rest = indexKey;
        for (int i = 0; i < parts.Length - 1; i++)
        {
            if (!TakePart(ref rest, part, out int length) || !parts[i].Yields(key, value, part[..length], scratch)) return false;
        }
        return parts[^1].Yields(key, value, rest, scratch);
    }

    /// <summary>
    /// <see cref="YieldsPartByPart"/> for parts that are all top-level JSON properties, reading the
    /// value once instead of once per part. Each part is decided by the first property of its name,
    /// as <see cref="JsonPath.Visit"/> decides it, and reading stops once every part has matched
    /// (or one has not), never past where the part-by-part check would have read: so a value that
    /// is not JSON further on gives the same answer too.
    /// </summary>
    private static bool YieldsInOnePass(ReadOnlySpan<byte> json, ReadOnlySpan<byte> indexKey, byte[][] names, Span<byte> buffer)
    {
        int n = names.Length;
        Span<int> starts = stackalloc int[MaxSinglePassParts];
        Span<int> lengths = stackalloc int[MaxSinglePassParts];
        var rest = indexKey;
        int used = 0;
        for (int i = 0; i < n - 1; i++)
        {
            if (!TakePart(ref rest, buffer[used..], out int length)) return false;
            starts[i] = used;
            lengths[i] = length;
            used += length;
        }
        int matched = 0, all = (1 << n) - 1;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                int named = 0;
                for (int i = 0; i < n; i++)
                    if ((matched & (1 << i)) == 0 && reader.ValueTextEquals(names[i])) named |= 1 << i;
                if (!reader.Read()) return false;
                if (named != 0)
                {
                    // Every part of this name reads the value from its start (a part may repeat a name).
                    var start = reader;
                    bool broken = false;
                    for (int i = 0; i < n; i++)
                    {
                        if ((named & (1 << i)) == 0) continue;
                        reader = start;
                        var match = new JsonFieldExtractor.Match(i < n - 1 ? buffer.Slice(starts[i], lengths[i]) : rest);
                        // As in JsonPath.Visit, an array element matched before the JSON breaks still counts.
                        try { JsonPath.VisitValue(ref reader, ref match); }
                        catch (JsonException) { broken = true; }
                        if (!match.Found) return false;
                        matched |= 1 << i;
                    }
                    if (matched == all) return true;
                    // The parts still open come later in the value, past the break: none can be found.
                    if (broken) return false;
                }
                reader.Skip();
            }
            return false;
        }
        catch (JsonException)
        {
            return false; // a value that is not JSON yields nothing, as JsonPath.Visit treats it
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
