using System.Text;

namespace LatticeKV.Tests.Backup;

/// <summary>Helpers for backup tests: reading a whole database into a dictionary to compare with a model.</summary>
internal static class BackupSupport
{
    /// <summary>Options whose small write buffer makes a few thousand writes flush several tables.</summary>
    public static DbOptions Small() => new() { WriteBufferSize = 64 << 10 };

    public static SortedDictionary<string, string> ReadAll(string path, DbOptions? options = null)
    {
        using var db = LatticeDb.Open(path, options ?? new DbOptions { CreateIfMissing = false });
        return ReadAll(db);
    }

    public static SortedDictionary<string, string> ReadAll(LatticeDb db)
    {
        var all = new SortedDictionary<string, string>(StringComparer.Ordinal);
        using var it = db.NewIterator();
        for (it.SeekToFirst(); it.Valid; it.Next()) all[Encoding.UTF8.GetString(it.Key)] = Encoding.UTF8.GetString(it.Value);
        return all;
    }

    public static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>Writes keys <c>k{from:D6}</c> up to <paramref name="to"/> (excluded), each value tagged with <paramref name="tag"/>.</summary>
    public static void Fill(LatticeDb db, int from, int to, string tag)
    {
        for (int i = from; i < to; i++) db.Put(B($"k{i:D6}"), B($"{tag}-{i}-" + new string('v', 40)));
    }

    public static void AssertSame(IReadOnlyDictionary<string, string> expected, IReadOnlyDictionary<string, string> actual, string what)
    {
        var missing = expected.Keys.Where(k => !actual.ContainsKey(k)).Take(3).ToList();
        var extra = actual.Keys.Where(k => !expected.ContainsKey(k)).Take(3).ToList();
        var differ = expected.Keys.Where(k => actual.TryGetValue(k, out var v) && v != expected[k]).Take(3).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0 && differ.Count == 0,
            $"{what}: {expected.Count} expected, {actual.Count} found; missing [{string.Join(",", missing)}] extra [{string.Join(",", extra)}] differ [{string.Join(",", differ)}]");
    }

    /// <summary>Reads a write-ahead log file whole and fails on any damage or when it holds no record; returns its records.</summary>
    public static int AssertWholeLog(string path)
    {
        using var input = LatticeKV.Io.RealFileSystem.Instance.OpenRead(path);
        var reader = new LatticeKV.Wal.LogReader(input);
        int records = 0;
        while (reader.ReadRecord(out _, out _)) records++;
        Assert.True(reader.Issues.Count == 0, $"{path}: {string.Join("; ", reader.Issues)}");
        Assert.True(records > 0, $"{path} holds no record");
        return records;
    }

    /// <summary>Restores <paramref name="root"/>'s backups and archived logs to <paramref name="sequence"/> in <paramref name="directory"/> and checks it holds exactly <paramref name="expected"/>.</summary>
    public static void AssertRestoresToSequence(string root, string directory, ulong sequence, IReadOnlyDictionary<string, string> expected, string what)
    {
        using var backups = BackupEngine.Open(root);
        Assert.Equal(sequence, backups.RestoreToSequence(directory, sequence));
        AssertSame(expected, ReadAll(directory), what);
    }
}
