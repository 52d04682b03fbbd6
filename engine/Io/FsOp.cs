namespace LatticeKV.Io;

/// <summary>What one recorded file-system operation did (<see cref="RecordingFileSystem"/>).</summary>
internal enum FsOpKind
{
    /// <summary>A new, empty file named <see cref="FsOp.Path"/>: a new inode and a directory entry.</summary>
    Create,
    /// <summary><see cref="FsOp.Data"/> stored at <see cref="FsOp.Offset"/>: bytes appended, or one page as the log's mapping held it.</summary>
    Write,
    /// <summary>The file's size set to <see cref="FsOp.Length"/> (ftruncate: growing the log, trimming it, emptying a file).</summary>
    SetLength,
    /// <summary><see cref="FsOp.Path"/> renamed over <see cref="FsOp.Target"/>.</summary>
    Rename,
    /// <summary>The directory entry <see cref="FsOp.Path"/> removed.</summary>
    Delete,
    /// <summary>fsync of the file: its data and size are on stable storage.</summary>
    SyncFile,
    /// <summary>fsync of the directory <see cref="FsOp.Path"/>: its entries are on stable storage.</summary>
    SyncDirectory,
    /// <summary>A note the workload inserted (such as "batch 7 acknowledged"); touches no file.</summary>
    Marker,
}

/// <summary>
/// One operation that reached the file system, in the order the file system saw it.
/// <see cref="File"/> names the inode (files are told apart by identity, not by name, so a
/// renamed or deleted file keeps its history); -1 for directory syncs and markers.
/// </summary>
internal sealed record FsOp(FsOpKind Kind, int File, string Path)
{
    public long Offset { get; init; }

    public byte[] Data { get; init; } = [];

    public long Length { get; init; }

    public string? Target { get; init; }

    public string? Note { get; init; }

    public override string ToString() => Kind switch
    {
        FsOpKind.Write => $"write {System.IO.Path.GetFileName(Path)} [{Offset}, {Offset + Data.Length})",
        FsOpKind.SetLength => $"set-length {System.IO.Path.GetFileName(Path)} {Length}",
        FsOpKind.Rename => $"rename {System.IO.Path.GetFileName(Path)} -> {System.IO.Path.GetFileName(Target)}",
        FsOpKind.Create => $"create {System.IO.Path.GetFileName(Path)}",
        FsOpKind.Delete => $"delete {System.IO.Path.GetFileName(Path)}",
        FsOpKind.SyncFile => $"fsync {System.IO.Path.GetFileName(Path)}",
        FsOpKind.SyncDirectory => "fsync directory",
        _ => $"marker {Note}",
    };
}
