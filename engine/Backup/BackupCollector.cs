using System.Globalization;
using System.Runtime.CompilerServices;
using LatticeKV.Io;

namespace LatticeKV.Backup;

/// <summary>
/// Deletes backups and what no backup needs: descriptors first (a backup disappears whole at the
/// deletion of its descriptor), then private folders, shared tables, log pieces and archived logs no
/// committed backup or kept archive list refers to, and the leftovers of interrupted runs. Caller holds the store's
/// exclusive lock.
/// </summary>
internal static class BackupCollector
{
    public static void Delete(IBackupStorage storage, int id)
    {
        storage.Delete(BackupDescriptor.PathOf(id));
        DeletePrivate(storage, id);
    }

    /// <summary>Removes everything unreferenced; returns the number of files removed.</summary>
    public static int Collect(IBackupStorage storage, bool archiveTemporaries = false) => Collect(storage, BackupCatalog.Load(storage), archiveTemporaries);

    /// <summary>
    /// <see cref="Collect(IBackupStorage, bool)"/> with the committed backups already read
    /// (<paramref name="backups"/>: exactly the store's, under the exclusive lock the caller holds).
    /// </summary>
    [MethodImpl(BackupCodegen.FewCallsPerBackup)]
    public static int Collect(IBackupStorage storage, IReadOnlyList<BackupDescriptor> backups, bool archiveTemporaries = false)
    {
        var committed = backups.Select(b => b.Id).ToHashSet();
        var referenced = backups.SelectMany(b => b.Files.SelectMany(f => f.Parts.Select(p => p.Path))).ToHashSet(StringComparer.Ordinal);
        // Logs archived as pieces keep the pieces they name, whichever backups are gone.
        referenced.UnionWith(LogArchive.PiecesKept(storage, backups));
        int removed = 0;
        foreach (var name in storage.ListFiles(BackupDescriptor.Folder))
        {
            if (BackupCatalog.TryParseId(name, out _)) continue;
            storage.Delete(BackupDescriptor.Folder + "/" + name);
            removed++;
        }
        foreach (var folder in storage.ListFolders("private"))
        {
            if (BackupCatalog.TryParseId(folder, out int id) && committed.Contains(id))
            {
                // A registry a shred replaced, left by a run killed between the descriptor's rename and the delete.
                foreach (var name in storage.ListFiles("private/" + folder))
                {
                    string path = "private/" + folder + "/" + name;
                    if (referenced.Contains(path)) continue;
                    storage.Delete(path);
                    removed++;
                }
                continue;
            }
            removed += DeleteFolderFiles(storage, "private/" + folder);
        }
        foreach (var name in storage.ListFiles(SharedTableName.Folder))
        {
            string path = SharedTableName.Folder + "/" + name;
            if (referenced.Contains(path)) continue;
            storage.Delete(path);
            removed++;
        }
        removed += LogArchive.Collect(storage, backups, archiveTemporaries);
        return removed;
    }

    private static void DeletePrivate(IBackupStorage storage, int id) => DeleteFolderFiles(storage, BackupDescriptor.PrivateFolder(id));

    [MethodImpl(BackupCodegen.FewCallsPerBackup)]
    private static int DeleteFolderFiles(IBackupStorage storage, string folder)
    {
        int n = 0;
        foreach (var name in storage.ListFiles(folder))
        {
            storage.Delete(folder + "/" + name);
            n++;
        }
        storage.DeleteFolder(folder);
        return n;
    }

    internal static string IdText(int id) => id.ToString(CultureInfo.InvariantCulture);

    internal static bool IsLogName(string name, out long number) => FileNames.Parse(name, out number) == DbFileKind.Log;
}
