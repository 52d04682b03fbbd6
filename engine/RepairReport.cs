namespace LatticeKV;

/// <summary>What <see cref="LatticeDb.Repair"/> kept and what it lost.</summary>
public sealed class RepairReport
{
    /// <summary>Tables read completely.</summary>
    public int TablesRead { get; internal set; }

    /// <summary>Tables of which only some blocks could be read (their damaged blocks are lost).</summary>
    public int TablesPartlyRead { get; internal set; }

    /// <summary>Tables that could not be read at all (damaged footer, index or metadata).</summary>
    public int TablesUnreadable { get; internal set; }

    /// <summary>Tables a readable MANIFEST lists that are missing from the directory (all their data is lost).</summary>
    public int TablesMissing { get; internal set; }

    /// <summary>
    /// Tables sealed with a key that was destroyed (their column family was crypto-shredded):
    /// their data is gone by design, so they are not counted as lost and never come back.
    /// </summary>
    public int TablesShredded { get; internal set; }

    /// <summary>Log records sealed with a destroyed key (writes logged before a shred): skipped by design, like <see cref="TablesShredded"/>.</summary>
    public long LogRecordsShredded { get; internal set; }

    /// <summary>Data blocks lost to damage.</summary>
    public long BlocksLost { get; internal set; }

    /// <summary>Write-ahead logs replayed.</summary>
    public int LogsReplayed { get; internal set; }

    /// <summary>Damaged regions skipped in the logs, and logs the MANIFEST needs that are missing.</summary>
    public long LogDamageSkipped { get; internal set; }

    /// <summary>Entries (versions, tombstones) read back from tables and logs.</summary>
    public long EntriesSalvaged { get; internal set; }

    /// <summary>Tables written for the rebuilt database.</summary>
    public int TablesWritten { get; internal set; }

    /// <summary>Column families of the rebuilt database (names from a readable MANIFEST, else <c>recovered-&lt;id&gt;</c>).</summary>
    public IReadOnlyList<string> ColumnFamilies { get; internal set; } = [];

    /// <summary>The newest sequence number found.</summary>
    public ulong LastSequence { get; internal set; }

    /// <summary>Where the old files were moved (kept for forensics; safe to delete).</summary>
    public string LostDirectory { get; internal set; } = "";

    /// <summary>One line per problem met, naming the file.</summary>
    public IReadOnlyList<string> Problems { get; internal set; } = [];

    /// <summary>True when nothing was lost.</summary>
    public bool Complete => TablesPartlyRead == 0 && TablesUnreadable == 0 && TablesMissing == 0 && LogDamageSkipped == 0;
}
