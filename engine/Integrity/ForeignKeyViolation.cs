namespace LatticeKV;

/// <summary>
/// A child entry whose parent does not exist. <see cref="ToString"/> never shows key bytes of an
/// encrypted database (a short hash stands for them).
/// </summary>
public sealed class ForeignKeyViolation
{
    internal ForeignKeyViolation(string foreignKey, string childFamily, byte[] childKey, byte[] parentKey, string childKeyText, string parentKeyText)
    {
        ForeignKey = foreignKey;
        ChildFamily = childFamily;
        ChildKey = childKey;
        ParentKey = parentKey;
        ChildKeyText = childKeyText;
        ParentKeyText = parentKeyText;
    }

    /// <summary>The foreign key broken.</summary>
    public string ForeignKey { get; }

    /// <summary>The child's family.</summary>
    public string ChildFamily { get; }

    /// <summary>The child's key.</summary>
    public byte[] ChildKey { get; }

    /// <summary>The missing parent key.</summary>
    public byte[] ParentKey { get; }

    /// <summary>The child key as printed (a hash when the database is encrypted).</summary>
    public string ChildKeyText { get; }

    /// <summary>The parent key as printed (a hash when the database is encrypted).</summary>
    public string ParentKeyText { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{ForeignKey}: child {ChildKeyText} of '{ChildFamily}' refers to missing parent {ParentKeyText}";
}
