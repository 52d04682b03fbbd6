namespace LatticeKV;

/// <summary>
/// A change a peer sent that this replica refused to store because its column family's
/// validator rejected it (<c>LatticeDb.GetQuarantinedChanges</c>, <c>lkv quarantine</c>): kept
/// here, readable, never applied. Sync carried on past it; the other keys converged.
/// </summary>
/// <param name="Id">Identifies the record (to discard it): the change's origin and origin sequence, as text.</param>
/// <param name="QuarantinedAt">When this replica quarantined it.</param>
/// <param name="Peer">The replica that sent it here.</param>
/// <param name="Version">The change's version: where it was made, its sequence there and its clock reading.</param>
/// <param name="ColumnFamily">The family it was for.</param>
/// <param name="Key">The key it wrote.</param>
/// <param name="Operation">What it did: a put, or a merge whose result the validator rejected.</param>
/// <param name="Value">The value (or merge operand) it carried.</param>
/// <param name="Reason">The validator's reason.</param>
public sealed record QuarantinedChange(string Id, DateTimeOffset QuarantinedAt, Guid Peer, ChangeVersion Version, string ColumnFamily, byte[] Key,
    ChangeOperation Operation, byte[]? Value, string Reason);
