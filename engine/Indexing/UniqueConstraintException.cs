namespace LatticeKV;

/// <summary>A write would give an index key of a unique index a second primary key; nothing of the write was applied.</summary>
public sealed class UniqueConstraintException(string indexName)
    : LatticeException($"The write breaks the unique index '{indexName}': another primary key already has the same index key (or the batch gives it to two).")
{
    /// <summary>The unique index.</summary>
    public string IndexName { get; } = indexName;
}
