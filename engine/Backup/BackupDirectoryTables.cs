using LatticeKV.Io;

namespace LatticeKV.Backup;

/// <summary>The shared tables of a backup directory on a file system: <c>DIR/shared/DBID-NUMBER-SIZE-CHECKSUM.sst</c>.</summary>
internal sealed class BackupDirectoryTables(IFileSystem fs, string directory) : ITableCopySource
{
    private string SharedFolder => Path.Combine(directory, SharedTableName.Folder);

    public IReadOnlyList<SharedTableName> Find(string databaseIdHex, long number, long size, ulong checksum)
    {
        try
        {
            if (checksum != 0)
            {
                var wanted = new SharedTableName(databaseIdHex, number, size, checksum);
                return fs.FileExists(Describe(wanted)) ? [wanted] : [];
            }
            if (!fs.DirectoryExists(SharedFolder)) return [];
            var found = new List<SharedTableName>();
            foreach (var file in fs.ListFiles(SharedFolder))
                if (SharedTableName.TryParse(file, out var name) && name.DatabaseIdHex == databaseIdHex && name.Number == number && name.Size == size)
                    found.Add(name);
            return found;
        }
        catch (LatticeIOException)
        {
            return []; // an unreachable backup holds nothing to heal from; the damage is reported as it stands
        }
    }

    public string Describe(SharedTableName name) => Path.Combine(SharedFolder, name.FileName);

    public ulong CopyTo(SharedTableName name, IFileSystem to, string destination) => FileCopy.Copy(fs, Describe(name), to, destination, name.Size);
}
