namespace LatticeKV.Indexing;

/// <summary>Receives the words of a text in order.</summary>
internal interface ITokenSink
{
    void Add(ReadOnlySpan<byte> word);
}

/// <summary>Words in order, repeats kept (a search query's terms).</summary>
internal sealed class WordList : ITokenSink
{
    public List<byte[]> Words { get; } = [];

    public void Add(ReadOnlySpan<byte> word) => Words.Add(word.ToArray());
}
