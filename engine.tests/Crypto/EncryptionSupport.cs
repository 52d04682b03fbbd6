using System.Security.Cryptography;

namespace LatticeKV.Tests.Crypto;

/// <summary>Keys, options and the byte scan shared by the encryption tests.</summary>
internal static class EncryptionSupport
{
    public static byte[] NewKey()
    {
        var key = new byte[32];
        RandomNumberGenerator.Fill(key);
        return key;
    }

    /// <summary>Options for a database whose default family (and <paramref name="families"/>) are encrypted under <paramref name="key"/>.</summary>
    public static DbOptions Options(byte[] key, params string[] families)
    {
        var o = new DbOptions
        {
            Encryption = EncryptionOptions.FromKey(key),
            WriteBufferSize = 64 * 1024,
            DefaultColumnFamilyOptions = new ColumnFamilyOptions { Encrypted = true },
        };
        foreach (var f in families) o.ColumnFamilyOptions[f] = new ColumnFamilyOptions { Encrypted = true };
        return o;
    }

    public static byte[] Sentinel()
    {
        var s = new byte[16];
        RandomNumberGenerator.Fill(s);
        return s;
    }

    /// <summary>
    /// How many of <paramref name="sentinels"/> occur anywhere in any file under
    /// <paramref name="dir"/>, whole or as their last 12 bytes (prefix compression can drop a key's head).
    /// </summary>
    public static int CountFound(string dir, IEnumerable<byte[]> sentinels)
    {
        var files = Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Select(ReadIfStillThere).ToList();
        int found = 0;
        foreach (var s in sentinels)
            if (files.Any(bytes => bytes.AsSpan().IndexOf(s) >= 0 || bytes.AsSpan().IndexOf(s.AsSpan(4)) >= 0)) found++;
        return found;
    }

    /// <summary>
    /// How many of <paramref name="sentinels"/> occur in <paramref name="text"/> (a tool's output)
    /// in any form a tool prints bytes in: hex in either case (whole or the last 12 bytes),
    /// base64, or as text when they happen to be valid UTF-8.
    /// </summary>
    public static int CountFoundInText(string text, IEnumerable<byte[]> sentinels)
    {
        var strict = new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true);
        int found = 0;
        foreach (var s in sentinels)
        {
            var forms = new List<string> { Convert.ToHexString(s.AsSpan(4)), Convert.ToBase64String(s) };
            try { forms.Add(strict.GetString(s)); }
            catch (System.Text.DecoderFallbackException) { } // not text: it can only be printed as hex or base64
            if (forms.Any(f => text.Contains(f, StringComparison.OrdinalIgnoreCase))) found++;
        }
        return found;
    }

    /// <summary>A file's bytes; empty when background work deleted it since the directory was listed.</summary>
    private static byte[] ReadIfStillThere(string path)
    {
        // LOCK is held (and empty) while the database is open.
        if (Path.GetFileName(path) == "LOCK") return [];
        try { return File.ReadAllBytes(path); }
        catch (FileNotFoundException) { return []; }
    }

    /// <summary>Every file under <paramref name="dir"/> holding a sentinel, for failure messages.</summary>
    public static string WhereFound(string dir, IEnumerable<byte[]> sentinels)
    {
        var hits = new List<string>();
        foreach (var f in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
        {
            var bytes = ReadIfStillThere(f);
            if (sentinels.Any(s => bytes.AsSpan().IndexOf(s.AsSpan(4)) >= 0)) hits.Add(Path.GetRelativePath(dir, f));
        }
        return string.Join(", ", hits);
    }
}
