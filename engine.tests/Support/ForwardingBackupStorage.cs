namespace LatticeKV.Tests.Support;

/// <summary>A backup store that forwards every call to another: tests override the calls they fail, count or reshape.</summary>
internal class ForwardingBackupStorage(IBackupStorage inner) : IBackupStorage
{
    public string Location => inner.Location;

    public virtual bool Exists(string path) => inner.Exists(path);

    public virtual long GetSize(string path) => inner.GetSize(path);

    public virtual IReadOnlyList<string> ListFiles(string folder) => inner.ListFiles(folder);

    public virtual IReadOnlyList<string> ListFolders(string folder) => inner.ListFolders(folder);

    public virtual Stream OpenRead(string path) => inner.OpenRead(path);

    public virtual IBackupFileWriter Create(string path) => inner.Create(path);

    public virtual void Rename(string from, string to) => inner.Rename(from, to);

    public virtual void Delete(string path) => inner.Delete(path);

    public virtual void DeleteFolder(string folder) => inner.DeleteFolder(folder);

    public virtual IDisposable Lock(bool exclusive, TimeSpan timeout) => inner.Lock(exclusive, timeout);
}
