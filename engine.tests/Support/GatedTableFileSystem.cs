using LatticeKV.Io;

namespace LatticeKV.Tests.Support;

/// <summary>Passes everything to <paramref name="inner"/>, except that creating a table (<c>.sst</c>) waits until <see cref="Open"/>: flushes and compactions hang meanwhile.</summary>
internal sealed class GatedTableFileSystem(IFileSystem inner) : IFileSystem
{
    private readonly ManualResetEventSlim _gate = new();

    public void Open() => _gate.Set();

    public IWritableFile CreateWritable(string path)
    {
        if (path.EndsWith(".sst", StringComparison.Ordinal) && !_gate.Wait(TimeSpan.FromMinutes(1))) throw new TimeoutException("the test never opened the gate");
        return inner.CreateWritable(path);
    }

    public IWritableFile OpenAppend(string path) => inner.OpenAppend(path);

    public IRandomAccessFile OpenRead(string path) => inner.OpenRead(path);

    public IWritableFile CreateLog(string path, long capacity) => inner.CreateLog(path, capacity);

    public bool FileExists(string path) => inner.FileExists(path);

    public bool DirectoryExists(string path) => inner.DirectoryExists(path);

    public void CreateDirectory(string path) => inner.CreateDirectory(path);

    public IReadOnlyList<string> ListFiles(string directory) => inner.ListFiles(directory);

    public void DeleteFile(string path) => inner.DeleteFile(path);

    public void RenameFile(string from, string to) => inner.RenameFile(from, to);

    public bool TryHardLink(string existing, string link) => inner.TryHardLink(existing, link);

    public void RenameDirectory(string from, string to) => inner.RenameDirectory(from, to);

    public void DeleteEmptyDirectory(string path) => inner.DeleteEmptyDirectory(path);

    public long GetFileSize(string path) => inner.GetFileSize(path);

    public void SyncDirectory(string path) => inner.SyncDirectory(path);

    public IDisposable LockFile(string path, bool shared = false) => inner.LockFile(path, shared);
}
