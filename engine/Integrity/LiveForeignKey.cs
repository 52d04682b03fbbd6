using LatticeKV.Indexing;

namespace LatticeKV.Integrity;

/// <summary>A foreign key of the open database: its record, families and the index that finds children by parent key.</summary>
internal sealed class LiveForeignKey(ForeignKeyRecord record, ColumnFamilyHandle child, ColumnFamilyHandle parent, LiveIndex index)
{
    public string Name => Record.Name;

    // Replaced whole under the catalog's lock (Verifying to Enforced); read without it.
    public ForeignKeyRecord Record { get; set; } = record;

    public ColumnFamilyHandle Child { get; } = child;

    public ColumnFamilyHandle Parent { get; } = parent;

    /// <summary>The child family's index keyed by parent key (<see cref="ForeignKeyFamilies.IndexOf"/>).</summary>
    public LiveIndex Index { get; } = index;

    public IndexExtractor Extractor => Index.Extractor;

    public ForeignKeyAction OnDelete => Record.OnDelete;

    public ForeignKeyDefinition ToDefinition() => new()
    {
        Name = Name,
        ChildFamily = Child,
        ParentKey = Extractor,
        ParentFamily = Parent,
        OnDelete = OnDelete,
    };
}
