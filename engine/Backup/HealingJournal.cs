using System.Globalization;
using System.Text;
using System.Text.Json;
using LatticeKV.Io;

namespace LatticeKV.Backup;

/// <summary>
/// <c>HEALINGS</c> in the database directory (FORMAT.md §13.5): every self-healing attempt, one
/// JSON object per line, so that <c>lkv verify</c> reports what a running database repaired after
/// it closed. Written whole (temporary file, fsync, rename) at each attempt, which are rare; the
/// newest <see cref="MaxEntries"/> are kept. Read as untrusted: a damaged line is skipped.
/// </summary>
internal static class HealingJournal
{
    public const int MaxEntries = 1000;
    private const int MaxFileSize = 4 << 20;

    public static string PathOf(string db) => Path.Combine(db, FileNames.Healings);

    public static void Append(IFileSystem fs, string db, TableHealing healing)
    {
        var lines = ReadLines(fs, db);
        lines.Add(Encode(healing));
        if (lines.Count > MaxEntries) lines.RemoveRange(0, lines.Count - MaxEntries);
        fs.ReplaceDurably(PathOf(db), Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n"));
    }

    public static List<TableHealing> Read(IFileSystem fs, string db)
    {
        var result = new List<TableHealing>();
        foreach (var line in ReadLines(fs, db))
            if (TryDecode(line, out var h)) result.Add(h);
        return result;
    }

    private static List<string> ReadLines(IFileSystem fs, string db)
    {
        string path = PathOf(db);
        if (!fs.FileExists(path)) return [];
        try
        {
            if (fs.GetFileSize(path) > MaxFileSize) return [];
            return [.. Encoding.UTF8.GetString(fs.ReadAllBytes(path)).Split('\n', StringSplitOptions.RemoveEmptyEntries)];
        }
        catch (FileNotFoundException) { return []; }
    }

    private static string Encode(TableHealing h)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteString("time", h.Time.ToString("O", CultureInfo.InvariantCulture));
            w.WriteNumber("file", h.FileNumber);
            w.WriteBoolean("healed", h.Healed);
            w.WriteString("damage", h.Damage);
            w.WriteString("detail", h.Detail);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    private static bool TryDecode(string line, out TableHealing healing)
    {
        healing = null!;
        try
        {
            using var doc = JsonDocument.Parse(line, new JsonDocumentOptions { MaxDepth = 4 });
            var r = doc.RootElement;
            long number = r.GetProperty("file").GetInt64();
            if (number < 0) return false;
            healing = new TableHealing(DateTimeOffset.Parse(r.GetProperty("time").GetString() ?? "", CultureInfo.InvariantCulture), number,
                FileNames.TableName(number), r.GetProperty("healed").GetBoolean(), r.GetProperty("damage").GetString() ?? "", r.GetProperty("detail").GetString() ?? "");
            return true;
        }
        catch (Exception ex) when (ex is JsonException or FormatException or KeyNotFoundException or InvalidOperationException or ArgumentException)
        {
            return false;
        }
    }
}
