namespace LatticeKV.Indexing;

/// <summary>
/// The index keys one primary entry yields, each with how often it occurred (a term's frequency
/// in a text index), and the number of tokens seen (a document's length). Reused per extraction.
/// </summary>
internal sealed class ExtractedKeys : ITokenSink
{
    private readonly Dictionary<byte[], int> _counts = new(ByteKeys.Instance);

    public int Count => _counts.Count;

    /// <summary>Tokens seen, repeats included (a text document's length).</summary>
    public int Tokens { get; private set; }

    public void Add(ReadOnlySpan<byte> key)
    {
        Tokens++;
        var lookup = _counts.GetAlternateLookup<ReadOnlySpan<byte>>();
        if (lookup.TryGetValue(key, out int n)) lookup[key] = n + 1;
        else _counts[key.ToArray()] = 1;
    }

    public bool Contains(ReadOnlySpan<byte> key) => _counts.GetAlternateLookup<ReadOnlySpan<byte>>().ContainsKey(key);

    public IEnumerable<KeyValuePair<byte[], int>> Entries => _counts;

    public IEnumerable<byte[]> Keys => _counts.Keys;

    public void Clear()
    {
        _counts.Clear();
        Tokens = 0;
    }
}
