namespace LatticeKV.Backup;

/// <summary>
/// Where one backup's new bytes went: tables and blob files, log bytes, and of those the log
/// bytes an earlier backup already held (a prefix copied again). Only counters read it.
/// </summary>
internal sealed record BackupTally
{
    public long NewTableBytes { get; set; }

    public long NewLogBytes { get; set; }

    public long LogBytesRecopied { get; set; }
}
