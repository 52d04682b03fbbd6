using LatticeKV.Replication;

namespace LatticeKV.Integrity;

/// <summary>
/// The remote apply's integrity rules when only validators exist: a peer's value is judged by its
/// family's validator (<see cref="RemoteChangeValidation"/>); nothing acts after the apply. Foreign
/// keys' rules take their place once they exist.
/// </summary>
internal sealed class ValidationApplyRules : IRemoteApplyRules
{
    public bool Judges(ColumnFamilyHandle family) => RemoteChangeValidation.Judges(family.Data);

    public string? Reject(ColumnFamilyHandle family, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => RemoteChangeValidation.Rejection(family.Data, key, value);

    public bool ActsAfterApply => false;

    public void Complete(RemoteApplyContext context) { }
}
