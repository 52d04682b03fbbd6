using LatticeKV.Io;
using LatticeKV.Manifest;

namespace LatticeKV.Db;

/// <summary>Kinds of file in a <see cref="LiveFileSet"/>.</summary>
internal enum LiveFileKind
{
    Table,
    Log,
    Manifest,
    Current,
    Options,
    Identity,
    KeyRegistry,
    /// <summary>A blob file (FORMAT.md §21): immutable, like a table.</summary>
    Blob,
}

/// <summary>
/// One file of a consistent copy: a prefix of <see cref="Length"/> bytes of
/// <see cref="SourcePath"/> (tables are immutable; logs and the MANIFEST only grow), or
/// <see cref="Contents"/> taken in memory (small files that are replaced, not appended to).
/// </summary>
internal sealed record LiveFile(LiveFileKind Kind, string Name, long Length, string? SourcePath, byte[]? Contents)
{
    /// <summary>The table's metadata (<see cref="LiveFileKind.Table"/> only).</summary>
    public FileMetaData? Table { get; init; }

    /// <summary>The blob file's metadata (<see cref="LiveFileKind.Blob"/> only).</summary>
    public Blob.BlobFileMetaData? BlobFile { get; init; }

    public uint ColumnFamily { get; init; }

    public long Number { get; init; }
}

/// <summary>
/// Everything a copy of the database needs, taken at one moment between two write groups
/// (<see cref="LatticeDb.CaptureLiveFiles"/>): the files and the last sequence number they hold.
/// While it is not disposed the database deletes no file, so every source stays readable.
/// </summary>
internal sealed class LiveFileSet : IDisposable
{
    private Action? _release;

    public LiveFileSet(string databasePath, IFileSystem fileSystem, DatabaseIdentity identity, ulong sequence, DateTimeOffset time,
        IReadOnlyList<LiveFile> files, bool encrypted, Action release)
    {
        DatabasePath = databasePath;
        FileSystem = fileSystem;
        Identity = identity;
        Sequence = sequence;
        Time = time;
        Files = files;
        Encrypted = encrypted;
        _release = release;
    }

    public string DatabasePath { get; }

    public IFileSystem FileSystem { get; }

    public DatabaseIdentity Identity { get; }

    /// <summary>The last sequence number the copy holds: every write acknowledged before the capture, nothing after.</summary>
    public ulong Sequence { get; }

    /// <summary>When the capture was taken (the database's clock).</summary>
    public DateTimeOffset Time { get; }

    public IReadOnlyList<LiveFile> Files { get; }

    /// <summary>The database is encrypted: its copy needs the key registry and the master key.</summary>
    public bool Encrypted { get; }

    public void Dispose() => Interlocked.Exchange(ref _release, null)?.Invoke();
}
