namespace LatticeKV;

/// <summary>
/// What <see cref="LatticeDb.AddForeignKey"/> enforces: every entry of <see cref="ChildFamily"/>
/// names, through <see cref="ParentKey"/>, keys that exist in <see cref="ParentFamily"/>.
/// </summary>
/// <example>
/// <code>
/// db.AddForeignKey(new ForeignKeyDefinition
/// {
///     Name = "transaction-account",
///     ChildFamily = transactions,
///     ParentKey = IndexExtractors.JsonField("$.account"),
///     ParentFamily = accounts,
///     OnDelete = ForeignKeyAction.Restrict,
/// });
/// </code>
/// </example>
public sealed class ForeignKeyDefinition
{
    /// <summary>1 to 95 characters: letters, digits, '-', '_' and '.'.</summary>
    public required string Name { get; init; }

    /// <summary>The family whose entries refer to parents.</summary>
    public required ColumnFamilyHandle ChildFamily { get; init; }

    /// <summary>
    /// The parent key (or keys: each must exist) of a child entry, from its key and value
    /// (<see cref="IndexExtractors"/>; not text). A child yielding no key refers to nothing and is
    /// always accepted. A custom extractor must be given again at every open
    /// (<see cref="DbOptions.IndexExtractors"/>), as for indexes.
    /// </summary>
    public required IndexExtractor ParentKey { get; init; }

    /// <summary>The family the parent keys must exist in (it may be <see cref="ChildFamily"/> itself: a hierarchy).</summary>
    public required ColumnFamilyHandle ParentFamily { get; init; }

    /// <summary>What deleting a parent with children does (default <see cref="ForeignKeyAction.Restrict"/>).</summary>
    public ForeignKeyAction OnDelete { get; init; } = ForeignKeyAction.Restrict;

    internal const int MaxNameLength = 95;

    internal void Validate()
    {
        if (string.IsNullOrEmpty(Name) || Name.Length > MaxNameLength || !Name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            throw new InvalidArgumentException($"Foreign key names must be 1 to {MaxNameLength} characters: letters, digits, '-', '_' and '.'.", nameof(Name));
        if (ChildFamily is null || ParentFamily is null) throw new InvalidArgumentException("A foreign key needs a ChildFamily and a ParentFamily.", nameof(ChildFamily));
        if (ParentKey is null) throw new InvalidArgumentException("A foreign key needs a ParentKey extractor.", nameof(ParentKey));
        if (ParentKey.IsText) throw new InvalidArgumentException("A text extractor cannot give parent keys.", nameof(ParentKey));
        if (!Enum.IsDefined(OnDelete)) throw new InvalidArgumentException($"Unknown OnDelete action {OnDelete}.", nameof(OnDelete));
    }
}
