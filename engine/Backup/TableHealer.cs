using System.Globalization;
using LatticeKV.Io;
using LatticeKV.Manifest;
using LatticeKV.Sst;

namespace LatticeKV.Backup;

/// <summary>What <see cref="TableHealer.Heal"/> did: whether an intact copy is in place, and how (or why not), for reports.</summary>
internal readonly record struct HealOutcome(bool Healed, string Detail);

/// <summary>
/// Replaces a damaged or missing table of a database with the same file from a backup. The
/// copy is found by identity (database id, file number, size and checksum, FORMAT.md §13),
/// written beside the table under a temporary name and fsynced, then verified: its XXH3-64 is
/// the checksum the MANIFEST records and it opens as a table (with no recorded checksum, the
/// one its name carries, every block verifies and the entry count matches). Only then is it
/// renamed over the table and the directory fsynced. A copy that fails verification is deleted,
/// never installed, and the next candidate is tried. Sealed tables are copied as they are
/// stored; verification opens them with the database's keys.
/// </summary>
internal sealed class TableHealer(IFileSystem fs, string databasePath, string databaseIdHex, ITableCopySource source, TableReaderOptions verifyOptions)
{
    /// <summary>Puts an intact copy of <paramref name="table"/> in place, or says why none could be.</summary>
    public HealOutcome Heal(FileMetaData table)
    {
        var candidates = source.Find(databaseIdHex, table.Number, table.FileSize, table.Checksum);
        if (candidates.Count == 0)
            return new HealOutcome(false, string.Create(CultureInfo.InvariantCulture,
                $"the backup holds no copy of table {table.Number} of this database ({table.FileSize} bytes{(table.Checksum != 0 ? $", checksum {table.Checksum:x16}" : "")})"));
        string target = FileNames.Table(databasePath, table.Number);
        string temp = FileNames.Temp(databasePath, table.Number);
        var refusals = new List<string>();
        foreach (var candidate in candidates)
        {
            string from = source.Describe(candidate);
            try
            {
                ulong copied = source.CopyTo(candidate, fs, temp);
                if (Refuse(table, candidate, copied, temp) is { } why)
                {
                    refusals.Add($"{from}: {why}");
                    TryDelete(temp);
                    continue;
                }
                fs.RenameFile(temp, target);
                fs.SyncDirectory(databasePath);
                return new HealOutcome(true, "replaced with " + from);
            }
            catch (Exception ex) when (ex is LatticeException or FileNotFoundException or DirectoryNotFoundException)
            {
                refusals.Add($"{from}: {ex.Message}");
                TryDelete(temp);
            }
        }
        return new HealOutcome(false, "no copy in the backup verified: " + string.Join("; ", refusals));
    }

    /// <summary>Why the copy at <paramref name="path"/> is not the table, or null when it is.</summary>
    private string? Refuse(FileMetaData table, SharedTableName candidate, ulong copied, string path)
    {
        ulong expected = table.Checksum != 0 ? table.Checksum : candidate.Checksum;
        if (copied != expected)
            return string.Create(CultureInfo.InvariantCulture, $"its checksum is {copied:x16}, {expected:x16} expected");
        using var reader = TableReader.Open(fs.OpenRead(path), table.Number, verifyOptions);
        if (table.Checksum != 0) return null;
        // Without a recorded checksum only the name vouches for the copy: read all of it.
        long entries = reader.VerifyAll();
        return entries == table.NumEntries ? null
            : string.Create(CultureInfo.InvariantCulture, $"it holds {entries} entries, the MANIFEST records {table.NumEntries}");
    }

    private void TryDelete(string path)
    {
        try { fs.DeleteFile(path); }
        catch (Exception ex) when (ex is LatticeIOException or FileNotFoundException) { }
    }
}
