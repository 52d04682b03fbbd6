namespace LatticeKV;

/// <summary>What a <see cref="Change"/> did to its key. Persistent: the values are stored in change records (FORMAT.md §15).</summary>
public enum ChangeOperation : byte
{
    /// <summary>The key was set to <see cref="Change.Value"/>.</summary>
    Put = 1,

    /// <summary>The key was deleted.</summary>
    Delete = 2,

    /// <summary><see cref="Change.Value"/> was merged into the key (an operand of the family's merge operator).</summary>
    Merge = 3,
}
