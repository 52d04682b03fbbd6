namespace LatticeKV;

/// <summary>
/// A write would break a foreign key (a child without its parent, or a parent deleted under its
/// children with <see cref="ForeignKeyAction.Restrict"/>), or <see cref="LatticeDb.AddForeignKey"/>
/// found existing data breaking it. Nothing of the write was applied (nothing was enforced).
/// Messages never show key bytes of an encrypted database: a short hash stands for them.
/// </summary>
public sealed class ReferentialIntegrityException : LatticeException
{
    internal ReferentialIntegrityException(string message, string foreignKey, string columnFamily, IReadOnlyList<ForeignKeyViolation>? violations = null)
        : base(message)
    {
        ForeignKey = foreignKey;
        ColumnFamily = columnFamily;
        Violations = violations ?? [];
    }

    /// <summary>The foreign key that refused the write.</summary>
    public string ForeignKey { get; }

    /// <summary>The family of the refused key: the child's for a missing parent, the parent's for a refused delete.</summary>
    public string ColumnFamily { get; }

    /// <summary>From <see cref="LatticeDb.AddForeignKey"/>: every violation in the existing data (empty for a refused write).</summary>
    public IReadOnlyList<ForeignKeyViolation> Violations { get; }

    /// <summary>
    /// A child entry whose parent does not exist (nested here so that the exception, which every
    /// layer may throw, names nothing above it). <see cref="ToString"/> never shows key bytes of an
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
}
