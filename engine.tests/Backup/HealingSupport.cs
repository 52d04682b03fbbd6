using System.Text;
using LatticeKV.Backup;
using LatticeKV.Db;
using LatticeKV.Sst;

namespace LatticeKV.Tests.Backup;

/// <summary>A live table as the tests see it: where it is, where its backup copy is, and the first key it holds.</summary>
internal sealed record TableCopy(long Number, string Path, string SharedPath, long Size, ulong Checksum, byte[] FirstKey);

/// <summary>
/// A database of several tables with disjoint key ranges (all at level 1), a backup of it (its
/// tables in <c>shared/DBID-NUMBER-SIZE-CHECKSUM.sst</c>), and ways to damage a table in place
/// (an open reader sees the damage).
/// </summary>
internal static class HealingSupport
{
    public const int KeyCount = 3000;

    public static DbOptions Options(Action<DbOptions>? configure = null)
    {
        var o = new DbOptions { WriteBufferSize = 64 * 1024, TargetFileSizeBase = 16 * 1024, MaxBytesForLevelBase = 64L << 20 };
        configure?.Invoke(o);
        return o;
    }

    public static byte[] Key(int i) => Encoding.ASCII.GetBytes($"key{i:D6}");

    public static byte[] Value(int i) => Encoding.ASCII.GetBytes($"value-{i}-{(ulong)i * 0x9E3779B97F4A7C15UL:x16}{(ulong)(i + 1) * 0xC2B2AE3D27D4EB4FUL:x16}");

    /// <summary>Writes <see cref="KeyCount"/> keys and compacts them into several level-1 tables.</summary>
    public static void Fill(LatticeDb db)
    {
        for (int i = 0; i < KeyCount; i++) db.Put(Key(i), Value(i));
        db.CompactRange();
    }

    /// <summary>Backs <paramref name="db"/> up into <paramref name="backup"/> with the backup engine; returns its live tables by key order.</summary>
    public static List<TableCopy> ShareTables(LatticeDb db, string backup)
    {
        var tables = new List<TableCopy>();
        using (var live = db.CaptureLiveFiles())
        {
            foreach (var f in live.Files.Where(f => f.Kind == LiveFileKind.Table))
            {
                var meta = f.Table!;
                var name = new SharedTableName(db.Identity.DatabaseIdHex, meta.Number, meta.FileSize, meta.Checksum);
                string shared = System.IO.Path.Combine(backup, SharedTableName.Folder, name.FileName);
                tables.Add(new TableCopy(meta.Number, f.SourcePath!, shared, meta.FileSize, meta.Checksum, meta.SmallestUserKey.ToArray()));
            }
        }
        using (var engine = BackupEngine.Open(backup)) engine.CreateBackup(db);
        foreach (var t in tables) Assert.True(File.Exists(t.SharedPath), $"the backup lacks {t.SharedPath}");
        Assert.True(tables.Count >= 3, $"the fixture needs several tables, it has {tables.Count}");
        return [.. tables.OrderBy(t => Convert.ToHexString(t.FirstKey), StringComparer.Ordinal)];
    }

    /// <summary>Every key holds its value, read with Get and with one forward scan.</summary>
    public static void AssertAllData(LatticeDb db)
    {
        for (int i = 0; i < KeyCount; i += 7) Assert.Equal(Value(i), db.Get(Key(i)));
        int n = 0;
        using var it = db.NewIterator();
        for (it.SeekToFirst(); it.Valid; it.Next(), n++)
        {
            Assert.Equal(Key(n), it.Key.ToArray());
            Assert.Equal(Value(n), it.Value.ToArray());
        }
        Assert.Equal(KeyCount, n);
    }

    public static int Index(byte[] key) => int.Parse(Encoding.ASCII.GetString(key, 3, 6), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Flips a byte of the first data block (which starts the file).</summary>
    public static void DamageDataBlock(string path) => Flip(path, 10);

    /// <summary>Flips a byte in the middle of the index block.</summary>
    public static void DamageIndex(string path)
    {
        var footer = ReadFooter(path);
        Flip(path, footer.Index.Offset + footer.Index.Size / 2);
    }

    /// <summary>Flips a byte of the footer's block handles (its checksum then fails).</summary>
    public static void DamageFooter(string path) => Flip(path, new FileInfo(path).Length - Footer.Size + 3);

    public static void Truncate(string path)
    {
        using var s = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        s.SetLength(s.Length - 100);
    }

    /// <summary>Where the data blocks of a plaintext table end: reads below it read data blocks.</summary>
    public static long DataEnd(string path, long number)
    {
        var options = new TableReaderOptions(new Keys.InternalKeyComparator(KeyComparator.Bytewise), null, false);
        using var reader = TableReader.Open(LatticeKV.Io.RealFileSystem.Instance.OpenRead(path), number, options);
        var last = reader.Fences.Handle(reader.Fences.Count - 1);
        return last.Offset + last.Size + BlockTrailer.Size;
    }

    public static Footer ReadFooter(string path)
    {
        var bytes = File.ReadAllBytes(path);
        return Footer.Decode(bytes.AsSpan(bytes.Length - Footer.Size), path, bytes.Length - Footer.Size);
    }

    /// <summary>Changes one byte in place, so a reader that has the file open sees it.</summary>
    public static void Flip(string path, long offset)
    {
        using var s = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        s.Position = offset;
        int b = s.ReadByte();
        s.Position = offset;
        s.WriteByte((byte)(b ^ 0x55));
    }
}
