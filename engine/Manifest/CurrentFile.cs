using LatticeKV.Coding;
using LatticeKV.Io;

namespace LatticeKV.Manifest;

/// <summary>
/// CURRENT names the live MANIFEST: the ASCII file name followed by a newline. It is replaced
/// atomically: write a temporary file, fsync it, rename it over CURRENT, fsync the directory.
/// </summary>
internal static class CurrentFile
{
    public static void Set(IFileSystem fs, string db, long manifestNumber, long tempNumber)
    {
        string temp = FileNames.Temp(db, tempNumber);
        fs.WriteAllBytesSynced(temp, Utf8.GetBytes(FileNames.ManifestName(manifestNumber) + "\n"));
        try
        {
            fs.RenameFile(temp, FileNames.CurrentPath(db));
        }
        catch
        {
            try { fs.DeleteFile(temp); } catch (LatticeIOException) { }
            throw;
        }
        fs.SyncDirectory(db);
    }

    /// <summary>Reads CURRENT and returns the MANIFEST file number it names.</summary>
    public static long Read(IFileSystem fs, string db)
    {
        string path = FileNames.CurrentPath(db);
        byte[] bytes;
        try { bytes = fs.ReadAllBytes(path); }
        catch (FileNotFoundException ex) { throw new CorruptionException("CURRENT file is missing", path, -1, ex); }
        if (bytes.Length == 0 || bytes.Length > 64 || bytes[^1] != (byte)'\n')
            throw new CorruptionException("CURRENT file is not a single newline-terminated line", path, 0);
        string name;
        try { name = Utf8.GetString(bytes.AsSpan(0, bytes.Length - 1)); }
        catch (CorruptionException ex) { throw ex.At(path, 0); }
        if (FileNames.Parse(name, out long number) != DbFileKind.Manifest)
            throw new CorruptionException($"CURRENT names '{name}', which is not a MANIFEST file", path, 0);
        return number;
    }
}
