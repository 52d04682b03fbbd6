namespace LatticeKV;

/// <summary>
/// What <see cref="LatticeDb.VerifyIndexes"/> found for one index, checked against its primary
/// data in one snapshot. Missing entries, document mismatches and wrong statistics are damage;
/// stale entries are not (queries skip them, and remove them as they meet them).
/// </summary>
public sealed record IndexVerification(string Name, IndexState State, long PrimaryEntries, long IndexEntries, long MissingEntries, long StaleEntries, long DocumentMismatches, bool StatisticsMatch)
{
    /// <summary>True when the index answers exactly as its primary data says.</summary>
    public bool Consistent => MissingEntries == 0 && DocumentMismatches == 0 && StatisticsMatch;
}
