namespace LatticeKV.Inspect;

/// <summary>What a <see cref="DumpEntry"/> holds.</summary>
[System.Diagnostics.CodeAnalysis.Experimental(Experimental.FileDumpDiagnostic)]
public enum DumpEntryKind
{
    /// <summary>A value (<see cref="DumpEntry.Key"/>, <see cref="DumpEntry.Value"/>).</summary>
    Put,
    /// <summary>A point tombstone.</summary>
    Delete,
    /// <summary>A range tombstone: keys from <see cref="DumpEntry.Key"/> up to, not including, <see cref="DumpEntry.Value"/>.</summary>
    RangeDelete,
    /// <summary>A MANIFEST edit (<see cref="DumpEntry.Edit"/>).</summary>
    Edit,
    /// <summary>Damage: <see cref="DumpEntry.Message"/> says what; the dump resumes after it where the format allows.</summary>
    Corruption,
    /// <summary>An interrupted last write at the end of a log: recovery drops it, it is not damage.</summary>
    TornTail,
    /// <summary>A merge operand (<see cref="DumpEntry.Key"/>, the operand in <see cref="DumpEntry.Value"/>).</summary>
    Merge,
}
