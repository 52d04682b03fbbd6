using System.Text;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Tool;

/// <summary>
/// A database made by the engine once for all lkv tests: a default column family with text
/// keys at several levels (overwrites, deletes, a range delete), a "ledger" family with binary
/// keys, and writes left only in the write-ahead log. Tests that change a database copy it.
/// </summary>
public sealed class KnownDatabase : IDisposable
{
    private readonly TempDir _dir = new("lkv-known");

    public KnownDatabase()
    {
        Path = _dir.Sub("db");
        // No idle drain: the fixture keeps level-0 tables, which WaitForCompactions would drain.
        var options = new DbOptions { WriteBufferSize = 64 * 1024, TargetFileSizeBase = 64 * 1024, MaxBytesForLevelBase = 256 * 1024, IdleCompactionDelay = null };
        using var db = LatticeDb.Open(Path, options);
        var ledger = db.CreateColumnFamily("ledger");
        for (int i = 0; i < 4000; i++)
        {
            db.Put(Key(i), Value(i));
            if (i % 2 == 0) db.Put(ledger, LedgerKey(i), BitConverter.GetBytes((long)i * 100));
        }
        db.CompactRange(); // the first versions go to a deep level ...
        db.CompactRange(ledger);
        for (int i = 0; i < 4000; i += 3) db.Put(Key(i), Value(i, 2)); // ... overwrites, deletes and a range delete to level 0
        for (int i = 1; i < 4000; i += 50) db.Delete(Key(i));
        db.DeleteRange(Key(3000), Key(3100));
        db.Flush();
        db.WaitForCompactions();
        db.Put(Encoding.UTF8.GetBytes("unflushed"), Encoding.UTF8.GetBytes("in the log only"));
        Expected = ReadAll(db, db.DefaultColumnFamily);
        ExpectedLedger = ReadAll(db, ledger);
        foreach (var cf in db.ColumnFamilies)
        {
            LevelBytes[cf.Name] = [.. Enumerable.Range(0, 7).Select(l => long.Parse(db.GetProperty(cf, $"lattice.level-bytes-at-level{l}")!, System.Globalization.CultureInfo.InvariantCulture))];
            LevelFiles[cf.Name] = [.. Enumerable.Range(0, 7).Select(l => int.Parse(db.GetProperty(cf, $"lattice.num-files-at-level{l}")!, System.Globalization.CultureInfo.InvariantCulture))];
        }
    }

    /// <summary>Bytes per level of each column family, as the engine reported before closing.</summary>
    public Dictionary<string, long[]> LevelBytes { get; } = [];

    /// <summary>Tables per level of each column family, as the engine reported before closing.</summary>
    public Dictionary<string, int[]> LevelFiles { get; } = [];

    public string Path { get; }

    /// <summary>The default column family's contents, in order.</summary>
    public List<KeyValuePair<byte[], byte[]>> Expected { get; }

    /// <summary>The ledger column family's contents, in order.</summary>
    public List<KeyValuePair<byte[], byte[]>> ExpectedLedger { get; }

    public static byte[] Key(int i) => Encoding.UTF8.GetBytes($"acct/{i:D5}");

    public static byte[] Value(int i, int version = 1) => Encoding.UTF8.GetBytes($"{{\"balance\":{i * 7 + version},\"v\":{version},\"pad\":\"{new string('x', i % 40)}\"}}");

    public static byte[] LedgerKey(int i) => [0x00, (byte)(i >> 8), (byte)i, 0xFF];

    /// <summary>A private copy for a test that changes the database.</summary>
    public string CopyTo(TempDir dir) => TestDb.CopyDatabase(Path, dir);

    private static List<KeyValuePair<byte[], byte[]>> ReadAll(LatticeDb db, ColumnFamilyHandle cf)
    {
        var list = new List<KeyValuePair<byte[], byte[]>>();
        using var it = db.NewIterator(cf);
        for (it.SeekToFirst(); it.Valid; it.Next()) list.Add(new(it.Key.ToArray(), it.Value.ToArray()));
        return list;
    }

    public void Dispose() => _dir.Dispose();
}
