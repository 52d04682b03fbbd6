using LatticeKV.Crypto;
using LatticeKV.Io;

namespace LatticeKV.Db;

/// <summary>
/// The key registry of a database directory, for the code that reads a database without opening
/// it: inspection, verification, dumps, repair and the list of column families. Opening the
/// registry writes nothing, so a wrong key leaves every file as it was.
/// </summary>
internal static class DatabaseKeys
{
    /// <summary>True when <paramref name="db"/> holds a key registry (its MANIFEST and logs are sealed).</summary>
    public static bool IsEncrypted(IFileSystem fs, string db) => fs.DirectoryExists(db) && KeyRegistry.Find(fs, db).Count > 0;

    /// <summary>
    /// The registry of <paramref name="db"/> opened with <paramref name="encryption"/>, or null when
    /// the database is not encrypted (whatever <paramref name="encryption"/> says). An encrypted
    /// database without a key, or with the wrong one, throws <see cref="EncryptionKeyException"/>.
    /// </summary>
    public static KeyRegistry? Open(IFileSystem fs, string db, EncryptionOptions? encryption, string task)
    {
        if (!IsEncrypted(fs, db)) return null;
        if (encryption is null) throw Missing(db, task);
        return KeyRegistry.Open(new LogFramedRecords(fs), db, encryption.Source);
    }

    /// <summary>The error for an encrypted database given no key.</summary>
    public static EncryptionKeyException Missing(string db, string task)
        => new($"the database at '{db}' is encrypted: {task} needs its key (DbOptions.Encryption; lkv: --passphrase-file, --key-file or LKV_PASSPHRASE)");

    /// <summary>How the master key of <paramref name="db"/> is obtained, read from the registry's plain header (no key needed).</summary>
    public static string? DescribeMasterKey(IFileSystem fs, string db)
        => KeyRegistry.Describe(new LogFramedRecords(fs), db) is { } header ? PassphraseKeySource.Describe(header.Kind) : null;

    /// <summary>The generation of key <paramref name="id"/>, or 0 when it is unknown (no key given, or not in the registry).</summary>
    public static uint Generation(KeyRegistry? keys, uint id) => id == 0 ? 0 : keys?.Find(id)?.Generation ?? 0;

    /// <summary>True when key <paramref name="id"/> is known to have been destroyed (its family shredded).</summary>
    public static bool IsDestroyed(KeyRegistry? keys, uint id) => keys?.Find(id) is { State: KeyState.Destroyed };
}
