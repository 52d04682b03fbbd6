using System.Text;
using LatticeKV.Io;

namespace LatticeKV.Events;

/// <summary>
/// Reads a database's event files (<c>EVENTS.old</c>, then <c>EVENTS</c>) as untrusted input:
/// lines that do not parse (a torn last line after a crash, damage) are skipped. Reading needs
/// no lock, so it works while the database is open in another process. <see cref="Poll"/>
/// returns what was appended since the previous call (<c>lkv events --follow</c>).
/// </summary>
internal sealed class EventFileReader(IFileSystem fs, string db)
{
    private readonly string _path = Path.Combine(db, FileNames.Events);
    private readonly string _oldPath = Path.Combine(db, FileNames.EventsOld);
    private long _position;    // bytes of EVENTS consumed (whole lines only)
    private bool _started;

    /// <summary>Every event in both files, oldest first.</summary>
    public static List<EventRecord> ReadAll(IFileSystem fs, string db) => new EventFileReader(fs, db).Poll();

    /// <summary>The events appended since the last call (all of them at the first call), oldest first.</summary>
    public List<EventRecord> Poll()
    {
        var result = new List<EventRecord>();
        long length = LengthOf(_path);
        if (!_started)
        {
            _started = true;
            ReadLines(_oldPath, 0, result);
        }
        else if (length < _position)
        {
            // Rotated since the last call: the rest of the old file is in EVENTS.old now.
            ReadLines(_oldPath, _position, result);
            _position = 0;
        }
        _position = ReadLines(_path, _position, result);
        return result;
    }

    private long LengthOf(string path)
    {
        try { return fs.FileExists(path) ? fs.GetFileSize(path) : 0; }
        catch (FileNotFoundException) { return 0; }
    }

    /// <summary>Parses the complete lines of <paramref name="path"/> from <paramref name="from"/>; returns the offset after the last complete line.</summary>
    private long ReadLines(string path, long from, List<EventRecord> into)
    {
        byte[] bytes;
        try
        {
            if (!fs.FileExists(path)) return from;
            using var file = fs.OpenRead(path);
            long length = file.Length;
            if (length <= from) return from;
            bytes = new byte[checked((int)Math.Min(length - from, int.MaxValue))];
            bytes = bytes[..file.ReadExactly(from, bytes)];
        }
        catch (FileNotFoundException) { return from; }
        int end = Array.LastIndexOf(bytes, (byte)'\n') + 1;
        foreach (var line in Encoding.UTF8.GetString(bytes, 0, end).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            if (EventRecord.TryParse(line, out var record)) into.Add(record);
        return from + end;
    }
}
