using System.Globalization;
using System.Security.Cryptography;
using LatticeKV.Backup;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Tool;

/// <summary>
/// A database of a few MB (random, incompressible values; several tables; writes left in the
/// log) and a backup directory, for the kill -9 tests of <c>lkv backup</c>: it changes the
/// database, takes backups in-process, and remembers what each backup must restore to.
/// </summary>
internal sealed class BackupKillFixture : IDisposable
{
    private const int Keys = 5000;
    private const int ValueSize = 600;
    private readonly TempDir _dir;
    private int _checks;

    public BackupKillFixture(string name, int seed)
    {
        _dir = new TempDir(name);
        Rng = new Random(seed);
        Db = _dir.Sub("db");
        Backups = _dir.Sub("backups");
        Change(Keys, flush: true);
    }

    public Random Rng { get; }

    public string Db { get; }

    public string Backups { get; }

    /// <summary>The state (<see cref="StateOf(LatticeDb)"/>) each committed backup must restore to, by id.</summary>
    public SortedDictionary<int, byte[]> Expected { get; } = [];

    public string Sub(string name) => _dir.Sub(name);

    /// <summary>Overwrites <paramref name="count"/> random keys, deletes a tenth as many, flushes or not; returns the state after.</summary>
    public byte[] Change(int count, bool? flush = null)
    {
        using var db = Open();
        Change(db, count, flush);
        return StateOf(db);
    }

    /// <summary>Changes the database and backs it up in-process; returns the backup's id.</summary>
    public int ChangeAndBackUp(int count)
    {
        using var db = Open();
        Change(db, count, flush: null);
        using var engine = BackupEngine.Open(Backups);
        var info = engine.CreateBackup(db);
        Expected[info.Id] = StateOf(db);
        return info.Id;
    }

    private LatticeDb Open() => LatticeDb.Open(Db, new DbOptions { WriteBufferSize = 256 << 10, CreateIfMissing = true });

    private void Change(LatticeDb db, int count, bool? flush)
    {
        var value = new byte[ValueSize];
        for (int i = 0; i < count; i++)
        {
            Rng.NextBytes(value);
            db.Put(Key(Rng.Next(Keys)), value);
        }
        for (int i = 0; i < count / 10; i++) db.Delete(Key(Rng.Next(Keys)));
        if (flush ?? Rng.Next(2) == 0) db.Flush();
    }

    /// <summary>The id the next backup will get (past every committed one and every interrupted run's leftovers).</summary>
    public int NextId() => BackupCatalog.NextId(new FileSystemBackupStorage(Backups));

    public List<int> ListIds()
    {
        using var engine = BackupEngine.Open(Backups);
        return engine.ListBackups().Select(b => b.Id).ToList();
    }

    public string PathIn(params string[] parts) => Path.Combine([Backups, .. parts]);

    public static string Text(int id) => id.ToString(CultureInfo.InvariantCulture);

    /// <summary>Every listed backup is one whose state is known, verifies with checksums, and restores to exactly that state.</summary>
    public void CheckBackups(string when)
    {
        using var engine = BackupEngine.Open(Backups);
        foreach (var info in engine.ListBackups())
        {
            Assert.True(Expected.TryGetValue(info.Id, out var state), $"{when}: backup {info.Id} is listed but was never committed");
            engine.VerifyBackup(info.Id, checksums: true);
            string target = _dir.Sub($"check-{_checks++}");
            engine.RestoreBackup(info.Id, target);
            Assert.True(state.AsSpan().SequenceEqual(StateOf(target)), $"{when}: backup {info.Id} restores to a different state");
            Directory.Delete(target, recursive: true);
        }
    }

    /// <summary>Garbage collection leaves only files some committed backup needs.</summary>
    public void CheckCollected(string when)
    {
        using (var engine = BackupEngine.Open(Backups)) engine.GarbageCollect();
        var stray = BackupToolSupport.UnreferencedFiles(Backups);
        Assert.True(stray.Count == 0, $"{when}: after garbage collection, files no backup needs: {string.Join(", ", stray)}");
    }

    /// <summary>A hash of every key and value of the default column family, in order.</summary>
    public static byte[] StateOf(LatticeDb db)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[4];
        using var it = db.NewIterator();
        for (it.SeekToFirst(); it.Valid; it.Next())
        {
            foreach (var part in new[] { it.Key.ToArray(), it.Value.ToArray() })
            {
                System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(length, part.Length);
                hash.AppendData(length);
                hash.AppendData(part);
            }
        }
        return hash.GetHashAndReset();
    }

    public static byte[] StateOf(string path)
    {
        using var db = LatticeDb.OpenReadOnly(path);
        return StateOf(db);
    }

    private static byte[] Key(int i) => TestDb.B($"key{i:D6}");

    public void Dispose() => _dir.Dispose();
}
