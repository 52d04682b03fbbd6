using System.Globalization;
using System.Runtime.CompilerServices;

namespace LatticeKV.Backup;

/// <summary>The committed backups of a store: their descriptors, read and checked.</summary>
internal static class BackupCatalog
{
    private const int MaxDescriptorSize = 64 << 20;

    /// <summary>Every committed backup, oldest first. A damaged descriptor throws (it names the file).</summary>
    [MethodImpl(BackupCodegen.FewCallsPerBackup)]
    public static List<BackupDescriptor> Load(IBackupStorage storage)
    {
        var list = new List<BackupDescriptor>();
        foreach (var name in storage.ListFiles(BackupDescriptor.Folder))
        {
            if (!TryParseId(name, out int id)) continue; // temporary files of a run in progress
            list.Add(Read(storage, id));
        }
        list.Sort((a, b) => a.Id.CompareTo(b.Id));
        return list;
    }

    [MethodImpl(BackupCodegen.FewCallsPerBackup)]
    public static BackupDescriptor Read(IBackupStorage storage, int id)
    {
        string path = BackupDescriptor.PathOf(id);
        byte[] bytes;
        try { bytes = StorageCopy.ReadAll(storage, path, MaxDescriptorSize); }
        catch (FileNotFoundException) { throw new InvalidArgumentException($"There is no backup {id} in '{storage.Location}'.", nameof(id)); }
        var d = BackupDescriptor.Decode(bytes, storage.Location + "/" + path);
        if (d.Id != id) throw new CorruptionException($"backup descriptor names backup {d.Id}", storage.Location + "/" + path, 0);
        return d;
    }

    /// <summary>The next id: past every committed backup and every private folder an interrupted run left.</summary>
    [MethodImpl(BackupCodegen.FewCallsPerBackup)]
    public static int NextId(IBackupStorage storage)
    {
        int max = 0;
        foreach (var name in storage.ListFiles(BackupDescriptor.Folder))
        {
            string stem = name.EndsWith(".tmp", StringComparison.Ordinal) ? name[..^4] : name;
            if (TryParseId(stem, out int id)) max = Math.Max(max, id);
        }
        foreach (var name in storage.ListFolders("private"))
            if (TryParseId(name, out int id)) max = Math.Max(max, id);
        return checked(max + 1);
    }

    public static bool TryParseId(string name, out int id)
        => int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out id) && id > 0 && name == id.ToString(CultureInfo.InvariantCulture);
}
