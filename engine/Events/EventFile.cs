using LatticeKV.Io;

namespace LatticeKV.Events;

/// <summary>
/// The database's event file, <c>EVENTS</c> (FORMAT.md, "EVENTS"): one JSON object per line,
/// appended and flushed to the operating system after each batch of events, never fsynced (it is
/// a diagnostic record, not data). When it would grow past half of the size limit it is renamed
/// <c>EVENTS.old</c> (replacing the previous one) and a new one started, so both together stay
/// within the limit. A process killed mid-line leaves a torn last line: the next open starts on
/// a new line, and readers skip lines that do not parse.
/// Not thread-safe: only the dispatcher's thread writes.
/// </summary>
internal sealed class EventFile : IDisposable
{
    private readonly IFileSystem _fs;
    private readonly string _path;
    private readonly string _oldPath;
    private readonly long _rotateAt;
    private IWritableFile? _file;

    public EventFile(IFileSystem fs, string db, long maxBytes)
    {
        _fs = fs;
        _path = Path.Combine(db, FileNames.Events);
        _oldPath = Path.Combine(db, FileNames.EventsOld);
        _rotateAt = Math.Max(1, maxBytes / 2);
    }

    /// <summary>Write failures since open; after one the file is closed and no longer written.</summary>
    public long Failures { get; private set; }

    public void Append(ReadOnlySpan<byte> line)
    {
        if (Failures > 0) return;
        try
        {
            _file ??= Open();
            if (_file.Length > 0 && _file.Length + line.Length > _rotateAt) Rotate();
            _file.Append(line);
        }
        catch (LatticeIOException)
        {
            Fail();
        }
    }

    /// <summary>Hands what was appended to the operating system (it survives a process kill).</summary>
    public void Flush()
    {
        try { _file?.Flush(); }
        catch (LatticeIOException) { Fail(); }
    }

    private IWritableFile Open()
    {
        var file = _fs.OpenAppend(_path);
        if (file.Length > 0 && !EndsWithNewline()) file.Append("\n"u8);
        return file;
    }

    private bool EndsWithNewline()
    {
        using var read = _fs.OpenRead(_path);
        Span<byte> last = stackalloc byte[1];
        return read.Length == 0 || (read.Read(read.Length - 1, last) == 1 && last[0] == (byte)'\n');
    }

    private void Rotate()
    {
        _file!.Dispose();
        _file = null;
        _fs.RenameFile(_path, _oldPath);
        _file = _fs.CreateWritable(_path);
    }

    private void Fail()
    {
        Failures++;
        try { _file?.Dispose(); }
        catch (LatticeIOException) { }
        _file = null;
    }

    public void Dispose()
    {
        try { _file?.Dispose(); }
        catch (LatticeIOException) { Failures++; }
        _file = null;
    }
}
