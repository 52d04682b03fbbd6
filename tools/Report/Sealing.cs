using System.Globalization;
using LatticeKV.Inspect;

namespace LatticeKV.Tool.Report;

/// <summary>How lkv shows that a file or table is encrypted.</summary>
public static class Sealing
{
    /// <summary>"key N, generation G" (the generation only when known: with the key).</summary>
    public static string Describe(uint keyId, uint generation) => generation == 0
        ? string.Create(CultureInfo.InvariantCulture, $"key {keyId}")
        : string.Create(CultureInfo.InvariantCulture, $"key {keyId}, generation {generation}");

    /// <summary>"encrypted (key N, generation G)" for a sealed table, "plaintext" otherwise.</summary>
    public static string Of(TableFileInfo f) => f.Encrypted ? $"encrypted ({Describe(f.KeyId, f.KeyGeneration)})" : "plaintext";

    /// <summary>What a directory entry's encryption is: "encrypted (key N…)", "sealed", or "-".</summary>
    public static string Of(DbFileInfo f) => f.KeyId != 0 ? $"encrypted ({Describe(f.KeyId, f.KeyGeneration)})" : f.Sealed ? "sealed" : "-";

    /// <summary>The summary line of a database's encryption.</summary>
    public static string Summary(DatabaseInfo db) => !db.Encrypted ? "none"
        : $"encrypted, master key from {db.MasterKey ?? "an unknown source"}" + (db.Locked ? "; no key given: only the files are shown" : "");
}
