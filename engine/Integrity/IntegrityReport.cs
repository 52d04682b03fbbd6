namespace LatticeKV;

/// <summary>What <see cref="LatticeDb.VerifyIntegrity"/> found, as of one snapshot.</summary>
public sealed class IntegrityReport
{
    internal IntegrityReport(IReadOnlyList<ReferentialIntegrityException.ForeignKeyViolation> violations, long violationCount, long childrenChecked, IReadOnlyList<string> notCheckable)
    {
        Violations = violations;
        ViolationCount = violationCount;
        ChildrenChecked = childrenChecked;
        NotCheckable = notCheckable;
    }

    /// <summary>The violations found, up to the limit given (<see cref="ViolationCount"/> counts them all).</summary>
    public IReadOnlyList<ReferentialIntegrityException.ForeignKeyViolation> Violations { get; }

    /// <summary>Every violation found, listed or not.</summary>
    public long ViolationCount { get; }

    /// <summary>True when more violations were found than are listed.</summary>
    public bool Truncated => ViolationCount > Violations.Count;

    /// <summary>Child entries checked.</summary>
    public long ChildrenChecked { get; }

    /// <summary>Foreign keys that could not be checked (their custom extractor was not supplied at open), with the reason.</summary>
    public IReadOnlyList<string> NotCheckable { get; }

    /// <summary>No violation, and every foreign key checked.</summary>
    public bool IsConsistent => ViolationCount == 0 && NotCheckable.Count == 0;
}
