using System.Security.Cryptography;
using LatticeKV.Coding;
using LatticeKV.Io;

namespace LatticeKV.Db;

/// <summary>
/// Who a database is (FORMAT.md §13, "IDENTITY"): a random database id, fixed for its life and kept
/// by every copy, and a timeline id, new for every copy that may diverge from its source (a
/// restore, a checkpoint). Backups name tables by the database id (with number, size and
/// checksum) and archive logs by the timeline, so a restored copy writing different data under
/// reused file numbers can never be taken for the original.
/// </summary>
internal sealed class DatabaseIdentity
{
    public const string FileName = Io.FileNames.Identity;
    public const int IdSize = 16;
    private const int MaxFileSize = 256;

    public DatabaseIdentity(byte[] databaseId, byte[] timeline)
    {
        DatabaseId = databaseId;
        Timeline = timeline;
    }

    public byte[] DatabaseId { get; }

    public byte[] Timeline { get; }

    public string DatabaseIdHex => Convert.ToHexStringLower(DatabaseId);

    public string TimelineHex => Convert.ToHexStringLower(Timeline);

    public static DatabaseIdentity NewDatabase() => new(RandomNumberGenerator.GetBytes(IdSize), RandomNumberGenerator.GetBytes(IdSize));

    /// <summary>The same database on a new timeline: what a restored or checkpointed copy gets.</summary>
    public DatabaseIdentity NewTimeline() => new(DatabaseId, RandomNumberGenerator.GetBytes(IdSize));

    public static string PathOf(string db) => Path.Combine(db, FileName);

    /// <summary>Reads the directory's identity; null when it has none (a database created before the file existed).</summary>
    public static DatabaseIdentity? Read(IFileSystem fs, string db)
    {
        string path = PathOf(db);
        if (!fs.FileExists(path)) return null;
        byte[] bytes;
        try { bytes = fs.ReadAllBytes(path); }
        catch (FileNotFoundException) { return null; }
        return Parse(bytes, path);
    }

    public static DatabaseIdentity Parse(ReadOnlySpan<byte> bytes, string path)
    {
        if (bytes.Length > MaxFileSize) throw new CorruptionException("IDENTITY file is too large", path, MaxFileSize);
        string text;
        try { text = Utf8.GetString(bytes); }
        catch (CorruptionException ex) { throw ex.At(path, 0); }
        byte[]? db = null, timeline = null;
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ');
            if (parts.Length != 2) throw new CorruptionException($"IDENTITY line '{line}' is not 'name value'", path, 0);
            var value = ParseId(parts[1], path);
            switch (parts[0])
            {
                case "db": db = value; break;
                case "timeline": timeline = value; break;
                default: break; // later fields are additive
            }
        }
        if (db is null || timeline is null) throw new CorruptionException("IDENTITY file lacks its 'db' or 'timeline' line", path, 0);
        return new DatabaseIdentity(db, timeline);
    }

    private static byte[] ParseId(string hex, string path)
    {
        if (hex.Length != IdSize * 2) throw new CorruptionException($"IDENTITY id '{hex}' is not {IdSize * 2} hex digits", path, 0);
        try { return Convert.FromHexString(hex); }
        catch (FormatException) { throw new CorruptionException($"IDENTITY id '{hex}' is not hex", path, 0); }
    }

    public byte[] Encode() => Utf8.GetBytes($"db {DatabaseIdHex}\ntimeline {TimelineHex}\n");

    /// <summary>Writes the file durably and atomically (temporary file, fsync, rename, directory fsync).</summary>
    public void Write(IFileSystem fs, string db) => fs.ReplaceDurably(PathOf(db), Encode());

    /// <summary>The directory's identity, created (durably) when it has none.</summary>
    public static DatabaseIdentity LoadOrCreate(IFileSystem fs, string db)
    {
        if (Read(fs, db) is { } existing) return existing;
        var created = NewDatabase();
        created.Write(fs, db);
        return created;
    }
}
