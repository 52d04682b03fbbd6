using LatticeKV.Io;

namespace LatticeKV.Tool.Crash;

/// <summary>
/// Says, while a database opens, when the open creates its new log (the replay is over and the
/// recovery flush begins) and its new MANIFEST (the recovery flush is over), so that the parent
/// can aim kills into each. It watches the directory, which keeps the engine free of test hooks.
/// </summary>
internal sealed class OpenWatcher : IDisposable
{
    private readonly FileSystemWatcher? _watcher;
    private readonly Action<string> _say;
    private int _said; // bits: 1 replayed, 2 edited

    public OpenWatcher(string path, Action<string> say)
    {
        _say = say;
        if (!Directory.Exists(path)) return; // a new database: nothing to replay
        _watcher = new FileSystemWatcher(path) { NotifyFilter = NotifyFilters.FileName };
        _watcher.Created += (_, e) => Seen(e.Name);
        _watcher.Renamed += (_, e) => Seen(e.Name);
        _watcher.EnableRaisingEvents = true;
    }

    private void Seen(string? name)
    {
        switch (FileNames.Parse(name ?? "", out _))
        {
            case DbFileKind.Log:
                SayOnce(1, CrashProtocol.Replayed);
                break;
            case DbFileKind.Manifest:
                SayOnce(2, CrashProtocol.Edited);
                break;
        }
    }

    private void SayOnce(int bit, string line)
    {
        if ((Interlocked.Or(ref _said, bit) & bit) == 0) _say(line);
    }

    public void Dispose() => _watcher?.Dispose();
}
