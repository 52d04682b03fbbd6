using System.Security.Cryptography;
using LatticeKV.Crypto;
using LatticeKV.Db;
using LatticeKV.Io;

namespace LatticeKV.Backup;

/// <summary>
/// Carries crypto-shredding into older backups. Each backup keeps its own copy of the key
/// registry (so rotation never strands it); a shred must reach those copies too, or the data it
/// destroyed would live on in them. After each backup of an encrypted database, every older
/// backup of it in the store gets its registry rewritten with the keys shredded since destroyed:
/// every key of a family shredded after the backup was taken (its data as of the shred is meant
/// to be gone), and every scope key the database has destroyed (only a scope shred destroys one).
/// Rotation's destroyed keys are left alone: the backups that hold data sealed by them need them.
/// A backup whose registry is wrapped by an earlier master key cannot be opened with the current
/// one and is skipped (counted): the shred reaches it only if its master key is changed too.
/// </summary>
internal static class ShredPropagation
{
    /// <summary>
    /// Applies the live registry's shreds to the older backups in <paramref name="catalog"/> (the
    /// store's committed backups, each replaced there by its descriptor as rewritten); returns (rewritten, skipped).
    /// </summary>
    public static (int Rewritten, int Skipped) Apply(IBackupStorage storage, List<BackupDescriptor> catalog, KeyRegistry live, MasterKeySource source, string databaseId, int newestId)
    {
        var shredded = live.ShreddedFamilies();
        var destroyedScopeKeys = live.Keys().Where(k => k.Purpose == KeyPurpose.Scope && k.State == KeyState.Destroyed).Select(k => k.Id).ToHashSet();
        if (shredded.Count == 0 && destroyedScopeKeys.Count == 0) return (0, 0);
        int rewritten = 0, skipped = 0;
        foreach (var backup in catalog.Where(b => b.DatabaseId == databaseId && b.Encrypted && b.Id != newestId).ToList())
        {
            var entry = backup.Files.FirstOrDefault(f => f.Kind == "key-registry");
            if (entry is null) continue;
            string temp = Path.Combine(Path.GetTempPath(), "lkv-shred-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)));
            Directory.CreateDirectory(temp);
            try
            {
                var fs = RealFileSystem.Instance;
                StorageCopy.Download(storage, entry.StoredPath, entry.Size, entry.Checksum, fs, Path.Combine(temp, entry.Name), null, CancellationToken.None);
                KeyRegistry? copy;
                try { copy = KeyRegistry.Open(new LogFramedRecords(fs), temp, source); }
                catch (EncryptionKeyException) { skipped++; continue; }
                if (copy is null) continue;
                bool changed;
                using (copy)
                {
                    changed = false;
                    foreach (var (cf, through) in shredded)
                    {
                        if ((copy.ShreddedThrough(cf) ?? 0) >= through) continue;
                        var ids = copy.Keys().Where(k => k.ColumnFamilyId == cf && k.Purpose is KeyPurpose.Data or KeyPurpose.Scope && k.State != KeyState.Destroyed).Select(k => k.Id).ToList();
                        copy.Destroy(ids, (cf, through));
                        changed = true;
                    }
                    var scopes = copy.Keys().Where(k => destroyedScopeKeys.Contains(k.Id) && k.State != KeyState.Destroyed).Select(k => k.Id).ToList();
                    if (scopes.Count > 0)
                    {
                        copy.Destroy(scopes);
                        changed = true;
                    }
                }
                if (!changed) continue;
                catalog[catalog.IndexOf(backup)] = Replace(storage, backup, entry, temp);
                rewritten++;
            }
            finally
            {
                try { Directory.Delete(temp, recursive: true); } catch (IOException) { }
            }
        }
        return (rewritten, skipped);
    }

    /// <summary>Uploads the rewritten registry and commits a descriptor that lists it instead of the old one; returns that descriptor.</summary>
    private static BackupDescriptor Replace(IBackupStorage storage, BackupDescriptor backup, BackupFileEntry old, string temp)
    {
        var newest = Directory.GetFiles(temp, KeyRegistry.FilePrefix + "*")
            .Select(Path.GetFileName).Where(n => KeyRegistry.TryParseName(n!, out _)).OrderBy(n => n, StringComparer.Ordinal).Last()!;
        var bytes = File.ReadAllBytes(Path.Combine(temp, newest));
        string path = BackupDescriptor.PrivateFolder(backup.Id) + "/" + newest;
        ulong checksum = StorageCopy.UploadBytes(storage, path, bytes);
        var files = backup.Files.Select(f => ReferenceEquals(f, old) ? new BackupFileEntry(newest, path, old.Kind, bytes.Length, checksum) : f).ToList();
        var updated = backup with { Files = files };
        string meta = BackupDescriptor.PathOf(backup.Id);
        StorageCopy.UploadBytes(storage, meta + ".tmp", updated.Encode());
        storage.Rename(meta + ".tmp", meta);
        if (old.StoredPath != path) storage.Delete(old.StoredPath);
        return updated;
    }
}
