using System.Security.Cryptography;

namespace LatticeKV.Tool.Crash;

/// <summary>
/// The encryption of a torture run's database (<c>lkv torture --encrypt</c>): a random master key
/// that lives only in this process's memory and reaches each crash child through its standard
/// input, never a file, so nothing beside the database can open it. Every column family is
/// encrypted except the last of three or more, which stays plaintext so that the mixed case,
/// where one log holds sealed and plaintext families' writes, is tortured too.
/// </summary>
public sealed class TortureEncryption
{
    private readonly byte[] _key;

    private TortureEncryption(byte[] key) => _key = key;

    public static TortureEncryption NewRandom()
    {
        var key = new byte[32];
        RandomNumberGenerator.Fill(key);
        return new TortureEncryption(key);
    }

    /// <summary>What the crash child reads from its standard input (<c>--key-file -</c>).</summary>
    public string KeyText => Convert.ToHexStringLower(_key);

    public EncryptionOptions Options => EncryptionOptions.FromKey(_key);

    /// <summary>Whether column family <paramref name="index"/> of <paramref name="columnFamilies"/> is encrypted.</summary>
    public static bool IsEncrypted(int index, int columnFamilies) => columnFamilies < 3 || index < columnFamilies - 1;

    /// <summary>The options a new column family <paramref name="index"/> is created with.</summary>
    public static ColumnFamilyOptions FamilyOptions(EncryptionOptions? encryption, int index, int columnFamilies)
        => new() { Encrypted = encryption is not null && IsEncrypted(index, columnFamilies) };

    /// <summary>
    /// <paramref name="options"/> with <paramref name="encryption"/> and every family's encryption
    /// set (also when it reopens the database: left unset, the default family's would be turned off).
    /// </summary>
    public static DbOptions Apply(DbOptions options, EncryptionOptions? encryption, int columnFamilies)
    {
        if (encryption is null) return options;
        options.Encryption = encryption;
        options.DefaultColumnFamilyOptions = FamilyOptions(encryption, 0, columnFamilies);
        for (int i = 1; i < columnFamilies; i++) options.ColumnFamilyOptions[CrashProtocol.ColumnFamily(i)] = FamilyOptions(encryption, i, columnFamilies);
        return options;
    }
}
