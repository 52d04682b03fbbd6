using System.Text;
using LatticeKV.Io;

namespace LatticeKV.Tests.Support;

/// <summary>Helpers for databases on the in-memory, crash-simulating file system.</summary>
public static class TestDb
{
    public const string DbPath = "/db";

    internal static DbOptions MemOptions(MemFileSystem fs, Action<DbOptions>? configure = null)
    {
        if (!fs.DirectoryExists(DbPath)) fs.CreateDirectory(DbPath);
        var o = new DbOptions { FileSystem = fs };
        configure?.Invoke(o);
        return o;
    }

    /// <summary>
    /// Options for a small tree that flushes and compacts often: <paramref name="writeBuffer"/>-byte
    /// memtables, level 1 twice that, 8 KiB files, level 0 compacted at
    /// <paramref name="levelZeroTrigger"/> files, the default family merging with <paramref name="merge"/>.
    /// </summary>
    internal static DbOptions SmallTreeOptions(MemFileSystem fs, int writeBuffer, int levelZeroTrigger, IMergeOperator merge) => MemOptions(fs, o =>
    {
        o.WriteBufferSize = writeBuffer;
        o.MaxBytesForLevelBase = 2 * writeBuffer;
        o.TargetFileSizeBase = 8 * 1024;
        o.Level0FileNumCompactionTrigger = levelZeroTrigger;
        o.DefaultColumnFamilyOptions.MergeOperator = merge;
    });

    public static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    public static string? S(byte[]? b) => b is null ? null : Encoding.UTF8.GetString(b);

    /// <summary>A column family's contents in order, one "HEXKEY=HEXVALUE" line per entry, for comparing whole databases.</summary>
    public static List<string> Contents(LatticeDb db, ColumnFamilyHandle cf)
    {
        var list = new List<string>();
        using var it = db.NewIterator(cf);
        for (it.SeekToFirst(); it.Valid; it.Next()) list.Add(Convert.ToHexString(it.Key) + "=" + Convert.ToHexString(it.Value));
        return list;
    }

    /// <summary>A copy of the database directory <paramref name="source"/> in <paramref name="dir"/>, for a test that changes it.</summary>
    public static string CopyDatabase(string source, TempDir dir)
    {
        string target = dir.Sub("copy");
        Directory.CreateDirectory(target);
        foreach (var f in Directory.EnumerateFiles(source)) File.Copy(f, System.IO.Path.Combine(target, System.IO.Path.GetFileName(f)));
        return target;
    }
}

/// <summary>A clock tests move by hand (for TTL).</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
