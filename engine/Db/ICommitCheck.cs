namespace LatticeKV.Db;

/// <summary>
/// A check that must see every earlier write and nothing later: stage 3 of the write path (see
/// <see cref="WritePath"/>). The leader runs it with the write alone in its group, after every
/// earlier group is in the memtables and before sequence numbers are assigned, so no other write
/// can land between the check and the write it guards. Throwing a <see cref="LatticeException"/>
/// rejects the write and nothing of it is logged. Used where a decision depends on the current
/// state: optimistic transactions' conflict checks, unique index constraints.
/// </summary>
/// <remarks>
/// A check holds up every writer queued behind it: it may read the database (reads take no
/// write-path lock) but must not write, wait for a write, or take long.
/// </remarks>
internal interface ICommitCheck
{
    /// <param name="lastSequence">The last sequence number visible: every earlier write is at or below it.</param>
    void Check(ulong lastSequence);
}

/// <summary>Runs two checks in order (a stage adding a check to a write that already has one).</summary>
internal sealed class CombinedCommitCheck(ICommitCheck first, ICommitCheck second) : ICommitCheck
{
    public static ICommitCheck? Combine(ICommitCheck? a, ICommitCheck? b) => a is null ? b : b is null ? a : new CombinedCommitCheck(a, b);

    public void Check(ulong lastSequence)
    {
        first.Check(lastSequence);
        second.Check(lastSequence);
    }
}

/// <summary>
/// A commit check that can be judged inside a write group: besides every earlier group (in the
/// memtables), it sees the keys written by the members ahead of it in its own group, which are
/// logged with it but not yet inserted, and must treat them as written after any snapshot it
/// compares against. The leader runs the members' checks in queue order; a member whose check
/// throws is dropped from the group (nothing of it is logged) and gets its exception alone.
/// </summary>
internal interface IGroupCommitCheck : ICommitCheck
{
    /// <param name="lastSequence">The last sequence number visible: every earlier group is at or below it.</param>
    /// <param name="earlier">What the members ahead of this write in its group write.</param>
    void Check(ulong lastSequence, GroupWrittenKeys earlier);
}
