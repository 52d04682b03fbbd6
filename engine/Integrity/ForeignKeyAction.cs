namespace LatticeKV;

/// <summary>
/// What deleting a parent that still has children does (<see cref="ForeignKeyDefinition.OnDelete"/>).
/// Persistent format (FORMAT.md §18.2): do not renumber.
/// </summary>
public enum ForeignKeyAction : byte
{
    /// <summary>The delete is refused with <see cref="ReferentialIntegrityException"/>; nothing of its batch is written.</summary>
    Restrict = 0,

    /// <summary>The children are deleted in the same atomic batch (and, through further foreign keys, theirs).</summary>
    Cascade = 1,
}
