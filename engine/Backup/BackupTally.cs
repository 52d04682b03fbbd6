namespace LatticeKV.Backup;

/// <summary>
/// Where one backup's new bytes went: tables and blob files, log bytes, and of those the log
/// bytes an earlier backup already held (a prefix copied again), and prefix bytes read to check. Only counters read it.
/// </summary>
internal sealed record BackupTally
{
    public long NewTableBytes { get; set; }

    public long NewLogBytes { get; set; }

    public long LogBytesRecopied { get; set; }

    /// <summary>Bytes of live logs read back to check that an earlier backup's copy is still their prefix.</summary>
    public long LogPrefixBytesRead { get; set; }
}
