namespace LatticeKV.Integrity;

/// <summary>The exceptions foreign keys throw, worded once (keys shown through <see cref="KeyText"/>).</summary>
internal static class ForeignKeyErrors
{
    public static ReferentialIntegrityException MissingParent(LatticeDb db, LiveForeignKey key, ReadOnlySpan<byte> childKey, ReadOnlySpan<byte> parentKey)
        => new($"Foreign key '{key.Name}': child {KeyText.Describe(childKey, db.HasEncryption)} of column family '{key.Child.Name}' refers to parent {KeyText.Describe(parentKey, db.HasEncryption)}, which does not exist in '{key.Parent.Name}'. Nothing of the write was applied.",
            key.Name, key.Child.Name);

    public static ReferentialIntegrityException ParentHasChildren(LatticeDb db, LiveForeignKey key, ReadOnlySpan<byte> parentKey)
        => new($"Foreign key '{key.Name}' (on delete restrict): parent {KeyText.Describe(parentKey, db.HasEncryption)} of column family '{key.Parent.Name}' still has children in '{key.Child.Name}'. Nothing of the write was applied.",
            key.Name, key.Parent.Name);
}
