using LatticeKV.Tests.Crypto;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Tool;

/// <summary>
/// An encrypted database made by the engine once for the lkv encryption tests: the default
/// family and "secrets" encrypted, "plain" not; random 16-byte sentinel keys and values in
/// tables at several levels and, unflushed, in the sealed log only. Its raw master key is in
/// <see cref="KeyFile"/> (and as hex in <see cref="HexKeyFile"/>); <see cref="WrongKeyFile"/>
/// holds another key. Tests that change the database copy it.
/// </summary>
public sealed class EncryptedDatabase : IDisposable
{
    private readonly TempDir _dir = new("lkv-encrypted");

    public EncryptedDatabase()
    {
        Path = _dir.Sub("db");
        var key = EncryptionSupport.NewKey();
        KeyFile = _dir.Sub("key.bin");
        HexKeyFile = _dir.Sub("key.hex");
        WrongKeyFile = _dir.Sub("wrong.bin");
        File.WriteAllBytes(KeyFile, key);
        File.WriteAllText(HexKeyFile, Convert.ToHexStringLower(key) + "\n");
        File.WriteAllBytes(WrongKeyFile, EncryptionSupport.NewKey());
        Options = EncryptionSupport.Options(key, "secrets");
        using var db = LatticeDb.Open(Path, Options);
        var secrets = db.CreateColumnFamily("secrets", new ColumnFamilyOptions { Encrypted = true });
        var plain = db.CreateColumnFamily("plain");
        for (int i = 0; i < 400; i++)
        {
            var batch = new WriteBatch();
            batch.Put(secrets, Secret(), Secret());
            batch.Put(Secret(), Secret());
            batch.Put(plain, Control(), Control());
            db.Write(batch);
            if (i == 200) db.CompactRange(secrets); // a deeper level, then level 0 on top
        }
        foreach (var cf in db.ColumnFamilies) db.Flush(cf);
        for (int i = 0; i < 20; i++) db.Put(secrets, Secret(), Secret()); // in the sealed log only
        foreach (var cf in db.ColumnFamilies) Expected[cf.Name] = TestDb.Contents(db, cf);
    }

    public string Path { get; }

    public string KeyFile { get; }

    public string HexKeyFile { get; }

    public string WrongKeyFile { get; }

    /// <summary>Options that open the database in-process.</summary>
    public DbOptions Options { get; }

    /// <summary>Every key and value written to an encrypted family.</summary>
    public List<byte[]> Secrets { get; } = [];

    /// <summary>Every key and value written to the plaintext family.</summary>
    public List<byte[]> Controls { get; } = [];

    /// <summary>Each family's contents ("hexkey=hexvalue", in order).</summary>
    public Dictionary<string, List<string>> Expected { get; } = [];

    private byte[] Secret()
    {
        var s = EncryptionSupport.Sentinel();
        Secrets.Add(s);
        return s;
    }

    private byte[] Control()
    {
        var s = EncryptionSupport.Sentinel();
        Controls.Add(s);
        return s;
    }

    /// <summary>A private copy for a test that changes the database.</summary>
    public string CopyTo(TempDir dir) => TestDb.CopyDatabase(Path, dir);

    public void Dispose() => _dir.Dispose();
}
