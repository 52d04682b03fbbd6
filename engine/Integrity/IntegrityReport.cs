namespace LatticeKV;

/// <summary>What <see cref="LatticeDb.VerifyIntegrity"/> found, as of one snapshot: foreign key and validator violations.</summary>
public sealed class IntegrityReport
{
    internal IntegrityReport(IReadOnlyList<ReferentialIntegrityException.ForeignKeyViolation> violations, long violationCount, long childrenChecked, IReadOnlyList<string> notCheckable)
    {
        Violations = violations;
        ViolationCount = violationCount;
        ChildrenChecked = childrenChecked;
        NotCheckable = notCheckable;
    }

    /// <summary>The foreign key violations found, up to the limit given (<see cref="ViolationCount"/> counts them all).</summary>
    public IReadOnlyList<ReferentialIntegrityException.ForeignKeyViolation> Violations { get; }

    /// <summary>Every foreign key violation found, listed or not.</summary>
    public long ViolationCount { get; }

    /// <summary>True when more foreign key violations were found than are listed.</summary>
    public bool Truncated => ViolationCount > Violations.Count;

    /// <summary>Child entries checked.</summary>
    public long ChildrenChecked { get; }

    /// <summary>
    /// The stored values their family's validator refuses, up to the limit given
    /// (<see cref="ValidationViolationCount"/> counts them all).
    /// </summary>
    public IReadOnlyList<ValidationViolation> ValidationViolations { get; internal init; } = [];

    /// <summary>Every value refused by its family's validator, listed or not.</summary>
    public long ValidationViolationCount { get; internal init; }

    /// <summary>True when more refused values were found than are listed.</summary>
    public bool ValidationTruncated => ValidationViolationCount > ValidationViolations.Count;

    /// <summary>Values of families with a validator checked.</summary>
    public long ValuesChecked { get; internal init; }

    /// <summary>
    /// What could not be checked, with the reason: foreign keys whose custom extractor was not
    /// supplied at open, and families whose validator includes a delegate or a class of the
    /// application (stored by name only) not given at open.
    /// </summary>
    public IReadOnlyList<string> NotCheckable { get; }

    /// <summary>No foreign key or validator violation, and every constraint checked.</summary>
    public bool IsConsistent => ViolationCount == 0 && ValidationViolationCount == 0 && NotCheckable.Count == 0;
}
