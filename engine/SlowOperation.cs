namespace LatticeKV;

/// <summary>
/// An operation that took longer than <see cref="DbOptions.SlowOperationThreshold"/>
/// (<see cref="LatticeDb.GetSlowOperations"/>).
/// </summary>
/// <param name="Kind">What was slow.</param>
/// <param name="ColumnFamily">The family it read or wrote; null for a batch, a transaction's commit or a sync apply, which may span several.</param>
/// <param name="Duration">How long it took.</param>
/// <param name="Time">When it ended (<see cref="DbOptions.Clock"/>).</param>
/// <param name="KeyPrefix">
/// The first bytes (at most <see cref="MaxKeyPrefixBytes"/>) of the key it named, in lowercase
/// hex; null when it named no key, and always null for a family with
/// <see cref="ColumnFamilyOptions.Encrypted"/>, whose keys never leave the engine.
/// </param>
public sealed record SlowOperation(OperationKind Kind, string? ColumnFamily, TimeSpan Duration, DateTimeOffset Time, string? KeyPrefix)
{
    /// <summary>The most key bytes a <see cref="KeyPrefix"/> shows.</summary>
    public const int MaxKeyPrefixBytes = 8;
}
