namespace LatticeKV;

/// <summary>
/// Which backups to keep (<see cref="BackupOptions.Retention"/>, <see cref="AutoBackupOptions.Retention"/>),
/// as restic and Time Machine do it: the newest <see cref="KeepLast"/>, plus the newest backup of
/// each of the last <see cref="Hourly"/> hours, <see cref="Daily"/> days, <see cref="Weekly"/>
/// weeks and <see cref="Monthly"/> months that have one (UTC calendar periods). The newest backup
/// is always kept. A backup kept by any rule stays.
/// </summary>
public sealed record BackupRetention
{
    /// <summary>Keep this many newest backups (at least 1).</summary>
    public int KeepLast { get; init; } = 1;

    /// <summary>Keep the newest backup of each of this many most recent hours that have one.</summary>
    public int Hourly { get; init; }

    /// <summary>Keep the newest backup of each of this many most recent days that have one.</summary>
    public int Daily { get; init; }

    /// <summary>Keep the newest backup of each of this many most recent ISO weeks that have one.</summary>
    public int Weekly { get; init; }

    /// <summary>Keep the newest backup of each of this many most recent months that have one.</summary>
    public int Monthly { get; init; }

    /// <summary>The newest <paramref name="count"/> backups only.</summary>
    public static BackupRetention Last(int count) => new() { KeepLast = count };

    /// <summary>The last 3, hourly for a day, daily for a week, weekly for a month, monthly for a year.</summary>
    public static BackupRetention Default { get; } = new() { KeepLast = 3, Hourly = 24, Daily = 7, Weekly = 4, Monthly = 12 };

    internal void Validate(string name)
    {
        if (KeepLast < 1) throw new InvalidArgumentException($"{name}.KeepLast must be at least 1 (the newest backup is always kept).", name);
        if (Hourly < 0 || Daily < 0 || Weekly < 0 || Monthly < 0) throw new InvalidArgumentException($"{name}: counts must not be negative.", name);
    }
}
