namespace LatticeKV;

/// <summary>
/// Where a <see cref="BackupEngine"/> keeps its files: the seam through which another store (an
/// object store, a remote file server) can hold backups without touching the engine. Paths are
/// relative, with <c>/</c> between folders (<c>shared/…</c>, <c>meta/3</c>); folders exist implicitly.
/// An implementation must make <see cref="IBackupFileWriter.Commit"/> durable and
/// <see cref="Rename"/> atomic and durable: a backup becomes visible by one rename.
/// </summary>
public interface IBackupStorage
{
    /// <summary>A description for messages (a directory path, a URL). Never includes credentials.</summary>
    string Location { get; }

    /// <summary>Whether a file exists at <paramref name="path"/>.</summary>
    bool Exists(string path);

    /// <summary>The size of the file at <paramref name="path"/>; <see cref="FileNotFoundException"/> when there is none.</summary>
    long GetSize(string path);

    /// <summary>Names of the files directly in <paramref name="folder"/> (empty when it does not exist).</summary>
    IReadOnlyList<string> ListFiles(string folder);

    /// <summary>Names of the folders directly in <paramref name="folder"/> (empty when it does not exist).</summary>
    IReadOnlyList<string> ListFolders(string folder);

    /// <summary>Opens a file for reading at any offset; <see cref="FileNotFoundException"/> when there is none.</summary>
    Stream OpenRead(string path);

    /// <summary>Creates (or empties) a file to write; nothing is promised until <see cref="IBackupFileWriter.Commit"/>.</summary>
    IBackupFileWriter Create(string path);

    /// <summary>Atomically and durably replaces <paramref name="to"/> with <paramref name="from"/>.</summary>
    void Rename(string from, string to);

    /// <summary>Deletes a file; no error when it does not exist.</summary>
    void Delete(string path);

    /// <summary>Deletes a folder if it is empty; no error when it does not exist or is not empty (a file arrived meanwhile).</summary>
    void DeleteFolder(string folder);

    /// <summary>
    /// Takes the store's lock, exclusive for changes or shared for reading, waiting up to
    /// <paramref name="timeout"/>; <see cref="DbLockedException"/> when it cannot.
    /// </summary>
    IDisposable Lock(bool exclusive, TimeSpan timeout);
}

/// <summary>A file being written to an <see cref="IBackupStorage"/>.</summary>
public interface IBackupFileWriter : IDisposable
{
    /// <summary>Appends bytes.</summary>
    void Write(ReadOnlySpan<byte> data);

    /// <summary>Makes everything written durable (fsync) and closes the file.</summary>
    void Commit();
}
