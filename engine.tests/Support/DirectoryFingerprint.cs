using System.Security.Cryptography;

namespace LatticeKV.Tests.Support;

/// <summary>Every file under a directory with a hash of its contents: equal fingerprints mean nothing changed.</summary>
public static class DirectoryFingerprint
{
    public static SortedDictionary<string, string> Of(string dir)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var f in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
            result[Path.GetRelativePath(dir, f)] = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)));
        return result;
    }
}
