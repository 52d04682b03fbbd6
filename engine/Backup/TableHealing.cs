namespace LatticeKV;

/// <summary>
/// One attempt to heal a damaged or missing table from a backup
/// (<see cref="DbOptions.RecoverFromBackup"/>, <see cref="LatticeDb.GetTableHealings"/>,
/// <c>lkv verify --repair-from</c>).
/// </summary>
/// <param name="Time">When the attempt ended.</param>
/// <param name="FileNumber">The table's file number.</param>
/// <param name="FilePath">The table's path in the database directory.</param>
/// <param name="Healed">True when an intact copy was verified and put in place.</param>
/// <param name="Damage">What was wrong with the table.</param>
/// <param name="Detail">The backup file put in place, or why none could be.</param>
public sealed record TableHealing(DateTimeOffset Time, long FileNumber, string FilePath, bool Healed, string Damage, string Detail);
