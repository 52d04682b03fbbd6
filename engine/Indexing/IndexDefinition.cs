namespace LatticeKV;

/// <summary>What <see cref="LatticeDb.CreateIndex"/> builds: a name, how index keys are extracted, and whether they are unique.</summary>
public sealed class IndexDefinition
{
    /// <summary>1 to 100 characters: letters, digits, '-', '_' and '.'.</summary>
    public required string Name { get; init; }

    /// <summary>How index keys are found in each primary entry (<see cref="IndexExtractors"/>).</summary>
    public required IndexExtractor Extractor { get; init; }

    /// <summary>At most one primary key per index key: a write giving a second one throws <see cref="UniqueConstraintException"/>.</summary>
    public bool Unique { get; init; }

    /// <summary>How many existing entries per second the background build indexes at most (null: as fast as it can).</summary>
    public int? BackfillEntriesPerSecond { get; init; }

    internal void Validate()
    {
        if (string.IsNullOrEmpty(Name) || Name.Length > 100 || !Name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            throw new InvalidArgumentException("Index names must be 1 to 100 characters: letters, digits, '-', '_' and '.'.", nameof(Name));
        if (Extractor is null) throw new InvalidArgumentException("An index needs an Extractor.", nameof(Extractor));
        if (Unique && Extractor.IsText) throw new InvalidArgumentException("A text index cannot be unique.", nameof(Unique));
        if (BackfillEntriesPerSecond is < 1) throw new InvalidArgumentException("BackfillEntriesPerSecond must be positive.", nameof(BackfillEntriesPerSecond));
    }
}
