using System.Collections.Concurrent;
using LatticeKV.Io;

namespace LatticeKV.Tests.Support;

/// <summary>Passes everything to <paramref name="inner"/> and records every positional read (file, offset, length).</summary>
internal sealed class ReadCountingFileSystem(IFileSystem inner) : IFileSystem
{
    public ConcurrentQueue<(string Path, long Offset, int Length)> Reads { get; } = new();

    public IRandomAccessFile OpenRead(string path) => new CountingFile(inner.OpenRead(path), Reads);

    public IWritableFile CreateWritable(string path) => inner.CreateWritable(path);

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

    private sealed class CountingFile(IRandomAccessFile file, ConcurrentQueue<(string, long, int)> reads) : IRandomAccessFile
    {
        public string Path => file.Path;

        public long Length => file.Length;

        public int Read(long offset, Span<byte> buffer)
        {
            reads.Enqueue((file.Path, offset, buffer.Length));
            return file.Read(offset, buffer);
        }

        public void Dispose() => file.Dispose();
    }
}
