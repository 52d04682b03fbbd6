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

    public static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    public static string? S(byte[]? b) => b is null ? null : Encoding.UTF8.GetString(b);
}

/// <summary>A clock tests move by hand (for TTL).</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
