namespace LatticeKV.Io;

/// <summary>
/// A file of a <see cref="RecordingFileSystem"/> written by ordinary appends: each append is
/// recorded as a write at the end of the file when it is made, whether or not the inner file
/// still buffers it (bytes not yet synced may or may not survive a crash either way).
/// </summary>
internal sealed class RecordingWritableFile(RecordingFileSystem fs, IWritableFile inner, int file) : IWritableFile
{
    public string Path => inner.Path;

    public long Length => inner.Length;

    public long Capacity => inner.Capacity;

    public void Append(ReadOnlySpan<byte> data)
    {
        lock (fs.Gate)
        {
            long at = inner.Length;
            inner.Append(data);
            fs.Add(new FsOp(FsOpKind.Write, file, Path) { Offset = at, Data = data.ToArray() });
        }
    }

    public void AppendRecord(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload)
    {
        lock (fs.Gate)
        {
            long at = inner.Length;
            inner.AppendRecord(header, payload);
            fs.Add(new FsOp(FsOpKind.Write, file, Path) { Offset = at, Data = [.. header, .. payload] });
        }
    }

    public void Flush()
    {
        lock (fs.Gate) inner.Flush();
    }

    public void Sync()
    {
        lock (fs.Gate)
        {
            inner.Sync();
            fs.Add(new FsOp(FsOpKind.SyncFile, file, Path));
        }
    }

    public void Dispose()
    {
        lock (fs.Gate) inner.Dispose();
    }
}
