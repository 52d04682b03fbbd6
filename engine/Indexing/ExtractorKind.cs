namespace LatticeKV.Indexing;

/// <summary>The kind byte of a stored extractor description. Persistent format: do not renumber.</summary>
internal enum ExtractorKind : byte
{
    JsonField = 1,
    KeyBytes = 2,
    ValueBytes = 3,
    Composite = 4,
    Text = 5,
    Custom = 6,
}
