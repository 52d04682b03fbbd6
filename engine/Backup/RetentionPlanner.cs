using System.Globalization;
using System.Runtime.CompilerServices;

namespace LatticeKV.Backup;

/// <summary>
/// Which backups a <see cref="BackupRetention"/> keeps, per database: the newest
/// <see cref="BackupRetention.KeepLast"/>, and the newest of each of the most recent hours,
/// days, ISO weeks and months (UTC) that have one, up to each rule's count.
/// </summary>
internal static class RetentionPlanner
{
    [MethodImpl(BackupCodegen.FewCallsPerBackup)]
    public static HashSet<int> Keep(IEnumerable<BackupDescriptor> backups, BackupRetention policy)
    {
        var keep = new HashSet<int>();
        foreach (var group in backups.GroupBy(b => b.DatabaseId))
        {
            // Newest by id, the order backups were made in: a wall clock stepped back between two backups
            // must not make the last one look older and have it deleted. Timestamps only name the periods.
            var newestFirst = group.OrderByDescending(b => b.Id).ToList();
            foreach (var b in newestFirst.Take(policy.KeepLast)) keep.Add(b.Id);
            KeepPerPeriod(newestFirst, policy.Hourly, t => t.ToString("yyyy-MM-dd HH", CultureInfo.InvariantCulture), keep);
            KeepPerPeriod(newestFirst, policy.Daily, t => t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), keep);
            KeepPerPeriod(newestFirst, policy.Weekly, t => $"{ISOWeek.GetYear(t.UtcDateTime)}-W{ISOWeek.GetWeekOfYear(t.UtcDateTime)}", keep);
            KeepPerPeriod(newestFirst, policy.Monthly, t => t.ToString("yyyy-MM", CultureInfo.InvariantCulture), keep);
        }
        return keep;
    }

    private static void KeepPerPeriod(List<BackupDescriptor> newestFirst, int count, Func<DateTimeOffset, string> period, HashSet<int> keep)
    {
        if (count <= 0) return;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var b in newestFirst)
        {
            if (seen.Add(period(DateTimeOffset.FromUnixTimeMilliseconds(b.TimestampMs)))) keep.Add(b.Id);
            if (seen.Count == count) break;
        }
    }
}
