using LatticeKV.Io;

namespace LatticeKV.Sst;

/// <summary>
/// The seam through which the table cache and table readers ask for a damaged or missing table
/// to be replaced by an intact copy of the same file (self-healing from a backup). Called with
/// no lock of the table cache held; may take the database's locks and copy a whole file.
/// </summary>
internal interface ITableHealer
{
    /// <summary>
    /// Puts an intact copy of table <paramref name="fileNumber"/> in place of the one that is
    /// missing or damaged as <paramref name="damage"/> says, and returns the copy opened for
    /// reading (the caller owns it); null when no copy could be installed, and the caller reports
    /// the damage. The copy holds exactly the bytes the table was written with.
    /// </summary>
    IRandomAccessFile? TryHeal(long fileNumber, CorruptionException damage);
}
