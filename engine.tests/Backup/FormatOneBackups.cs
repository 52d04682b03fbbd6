using System.Globalization;
using System.IO.Hashing;
using System.Text;
using LatticeKV.Backup;

namespace LatticeKV.Tests.Backup;

/// <summary>
/// Turns a backup into the layout descriptor format 1 wrote (FORMAT.md §13, version history):
/// every file stored whole, logs in <c>private/ID/</c>, <c>"format": 1</c>; its log pieces deleted.
/// </summary>
internal static class FormatOneBackups
{
    public static void Rewrite(string root, int id)
    {
        var storage = new FileSystemBackupStorage(root);
        var backup = BackupCatalog.Read(storage, id);
        var files = new List<BackupFileEntry>();
        foreach (var f in backup.Files)
        {
            if (f.Pieces is null)
            {
                files.Add(f);
                continue;
            }
            string path = BackupDescriptor.PrivateFolder(id) + "/" + f.Name;
            using (var output = File.Create(Path.Combine(root, path)))
                foreach (var p in f.Pieces) output.Write(File.ReadAllBytes(Path.Combine(root, p.Path)));
            foreach (var p in f.Pieces) File.Delete(Path.Combine(root, p.Path));
            files.Add(new BackupFileEntry(f.Name, path, f.Kind, f.Size, f.Checksum));
        }
        string text = Encoding.UTF8.GetString((backup with { Files = files }).Encode());
        string json = text[..text.LastIndexOf("\nxxh3 ", StringComparison.Ordinal)];
        string format2 = "\"format\": " + BackupDescriptor.FormatVersion.ToString(CultureInfo.InvariantCulture) + ",";
        Assert.Contains(format2, json, StringComparison.Ordinal);
        var bytes = Encoding.UTF8.GetBytes(json.Replace(format2, "\"format\": 1,", StringComparison.Ordinal));
        string trailer = "\nxxh3 " + XxHash3.HashToUInt64(bytes).ToString("x16", CultureInfo.InvariantCulture) + "\n";
        File.WriteAllBytes(Path.Combine(root, BackupDescriptor.PathOf(id)), [.. bytes, .. Encoding.ASCII.GetBytes(trailer)]);
    }
}
