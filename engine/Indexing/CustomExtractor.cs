using LatticeKV.Coding;

namespace LatticeKV.Indexing;

/// <summary>An application's selector, stored by name only: it must be given again at every open.</summary>
internal sealed class CustomExtractor(string name, IndexKeySelector selector) : IndexExtractor
{
    internal override void Extract(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ExtractedKeys output)
    {
        var keys = new List<byte[]>();
        selector(key, value, keys);
        foreach (var k in keys)
        {
            if (k is null) throw new InvalidArgumentException($"The index key selector '{name}' returned a null key.", "indexKeys");
            output.Add(k);
        }
    }

    internal override void Describe(ByteWriter w)
    {
        w.WriteByte((byte)ExtractorKind.Custom);
        w.WriteLengthPrefixed(System.Text.Encoding.UTF8.GetBytes(name));
    }

    internal override string CustomName => name;

    public override string ToString() => $"custom({name})";
}
