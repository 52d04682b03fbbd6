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
}
