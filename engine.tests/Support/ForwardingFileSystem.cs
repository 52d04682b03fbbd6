using LatticeKV.Io;

namespace LatticeKV.Tests.Support;

/// <summary>Passes every call to <paramref name="inner"/>; test file systems override the calls they watch or hold.</summary>
internal abstract class ForwardingFileSystem(IFileSystem inner) : IFileSystem
{
    public virtual IRandomAccessFile OpenRead(string path) => inner.OpenRead(path);

    public virtual IWritableFile CreateWritable(string path) => inner.CreateWritable(path);

    public virtual IWritableFile OpenAppend(string path) => inner.OpenAppend(path);

    public virtual IWritableFile CreateLog(string path, long capacity) => inner.CreateLog(path, capacity);

    public bool FileExists(string path) => inner.FileExists(path);

    public bool DirectoryExists(string path) => inner.DirectoryExists(path);

    public void CreateDirectory(string path) => inner.CreateDirectory(path);

    public IReadOnlyList<string> ListFiles(string directory) => inner.ListFiles(directory);

    public virtual void DeleteFile(string path) => inner.DeleteFile(path);

    public virtual void RenameFile(string from, string to) => inner.RenameFile(from, to);

    public bool TryHardLink(string existing, string link) => inner.TryHardLink(existing, link);

    public void RenameDirectory(string from, string to) => inner.RenameDirectory(from, to);

    public void DeleteEmptyDirectory(string path) => inner.DeleteEmptyDirectory(path);

    public long GetFileSize(string path) => inner.GetFileSize(path);

    public virtual void SyncDirectory(string path) => inner.SyncDirectory(path);

    public IDisposable LockFile(string path, bool shared = false) => inner.LockFile(path, shared);
}
